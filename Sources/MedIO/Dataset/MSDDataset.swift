import Foundation

/// One case of an MSD dataset: an identifier (the image file name) and absolute file paths.
public struct MSDCase: Sendable, Equatable {
    /// Case identity that travels with every prediction: the image file name, e.g. `spleen_2.nii.gz`.
    public var id: String
    /// Image path (`imagesTr/...` or `imagesTs/...`).
    public var image: String
    /// Label path (`labelsTr/...`, or `labelsTs/...` when present), nil for unlabelled test cases.
    public var label: String?
}

/// A Medical Segmentation Decathlon folder: `dataset.json`, `imagesTr/`, `labelsTr/`, `imagesTs/`, optional `labelsTs/`.
///
/// `dataset.json` keys read: `name`, `tensorImageSize`, `modality` (MSD) or `channel_names` (nnU-Net v2),
/// `labels` (either `{"0": "background", ...}` or `{"background": 0, ...}`), `training` (list of
/// `{"image", "label"}`), `test` (list of image paths). Without `training`, `imagesTr/*.nii.gz` is listed.
/// Files whose name starts with `._` (macOS resource forks shipped in the MSD tarballs) are skipped.
public struct MSDDataset: Sendable {
    /// The dataset folder.
    public var root: String
    /// `name` from dataset.json (or the folder name).
    public var name: String
    /// `"3D"`, `"4D"` (multi-channel) or `"2D"` as declared.
    public var tensorImageSize: String
    /// Channel names in channel order (e.g. `["CT"]`, `["FLAIR", "T1w", "t1gd", "T2w"]`).
    public var modalities: [String]
    /// Label value -> name; 0 is background.
    public var labels: [Int: String]
    /// Labelled training cases, in dataset.json order.
    public var training: [MSDCase]
    /// Test cases; `label` set when `labelsTs/<id>` exists.
    public var test: [MSDCase]

    /// Parses `folder/dataset.json` (no image is read; see `validate()`).
    public static func load(_ folder: String) throws -> MSDDataset {
        let root = URL(fileURLWithPath: folder)
        let jsonPath = root.appendingPathComponent("dataset.json").path
        guard FileManager.default.fileExists(atPath: folder) else { throw MedIOError(folder, "no such folder") }
        let data = try readJSONFile(jsonPath)
        let parsed: Any
        do { parsed = try JSONSerialization.jsonObject(with: data) } catch {
            throw MedIOError(jsonPath, "invalid JSON: \(error.localizedDescription)")
        }
        guard let json = parsed as? [String: Any] else { throw MedIOError(jsonPath, "top level must be an object") }

        let modalityDict = (json["modality"] ?? json["channel_names"]) as? [String: Any] ?? ["0": "image"]
        let modalities = modalityDict.compactMap { k, v in Int(k).map { ($0, "\(v)") } }.sorted { $0.0 < $1.0 }.map(\.1)
        var labels: [Int: String] = [:]
        guard let labelDict = json["labels"] as? [String: Any], !labelDict.isEmpty else {
            throw MedIOError(jsonPath, "missing \"labels\"")
        }
        // Label values are integers 0...Int32.max: a fraction or 1e300 used to become some other value silently
        // (NSNumber.intValue truncates and saturates; found probing the MSD harness).
        let valueRange = 0...Int(Int32.max)
        for (k, v) in labelDict {
            if let value = Int(k) {
                guard valueRange.contains(value) else { throw MedIOError(jsonPath, "label value \(k) out of range 0...\(Int32.max)") }
                labels[value] = "\(v)"
            } else if let n = v as? NSNumber {
                guard let value = Int(exactly: n.doubleValue), valueRange.contains(value) else {
                    throw MedIOError(jsonPath, "label \"\(k)\": value \(n) is not an integer in 0...\(Int32.max)")
                }
                labels[value] = k
            } else {
                throw MedIOError(jsonPath, "label \"\(k)\": expected {\"1\": \"name\"} or {\"name\": 1}")
            }
        }
        func resolve(_ rel: String) -> String {
            rel.hasPrefix("/") ? rel : root.appendingPathComponent(rel.hasPrefix("./") ? String(rel.dropFirst(2)) : rel).standardized.path
        }
        func skip(_ path: String) -> Bool { URL(fileURLWithPath: path).lastPathComponent.hasPrefix("._") }

        var training: [MSDCase] = []
        if let list = json["training"] as? [[String: Any]] {
            for entry in list {
                guard let img = entry["image"] as? String else { throw MedIOError(jsonPath, "training entry without \"image\"") }
                let image = resolve(img)
                guard !skip(image) else { continue }
                training.append(MSDCase(id: URL(fileURLWithPath: image).lastPathComponent, image: image,
                                        label: (entry["label"] as? String).map(resolve)))
            }
        } else {
            for f in listNifti(root.appendingPathComponent("imagesTr")) {
                training.append(MSDCase(id: f, image: root.appendingPathComponent("imagesTr/\(f)").path,
                                        label: root.appendingPathComponent("labelsTr/\(f)").path))
            }
        }
        var testPaths: [String] = []
        if let list = json["test"] as? [Any] {
            for entry in list {
                if let s = entry as? String { testPaths.append(resolve(s)) } else if let d = entry as? [String: Any], let s = d["image"] as? String {
                    testPaths.append(resolve(s))
                }
            }
        } else {
            testPaths = listNifti(root.appendingPathComponent("imagesTs")).map { root.appendingPathComponent("imagesTs/\($0)").path }
        }
        let test = testPaths.filter { !skip($0) }.map { path -> MSDCase in
            let id = URL(fileURLWithPath: path).lastPathComponent
            let lab = root.appendingPathComponent("labelsTs/\(id)").path
            return MSDCase(id: id, image: path, label: FileManager.default.fileExists(atPath: lab) ? lab : nil)
        }
        return MSDDataset(root: root.path, name: json["name"] as? String ?? root.lastPathComponent,
                          tensorImageSize: json["tensorImageSize"] as? String ?? "3D",
                          modalities: modalities.isEmpty ? ["image"] : modalities, labels: labels,
                          training: training, test: test)
    }

    private static func listNifti(_ dir: URL) -> [String] { NiftiFiles.names(in: dir) }

    /// Largest dataset.json accepted (Task09_Spleen's is 3 KB; nnU-Net's largest are a few MB).
    static let maxJSONBytes = 64 << 20

    /// The bytes of `dataset.json`: must be a regular file of at most `maxJSONBytes`. Read with POSIX calls
    /// (Foundation's `FileManager.contents(atPath:)` leaks a 4 KiB buffer per call on Linux, found by fuzzing).
    private static func readJSONFile(_ path: String) throws -> Data {
        var st = stat()
        guard stat(path, &st) == 0 else { throw MedIOError(path, "missing dataset.json") }
        guard st.st_mode & S_IFMT == S_IFREG else { throw MedIOError(path, "dataset.json is not a regular file") }
        guard st.st_size <= maxJSONBytes else {
            throw MedIOError(path, "dataset.json is \(st.st_size) bytes (more than \(maxJSONBytes))")
        }
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw MedIOError(path, "cannot read dataset.json (\(String(cString: strerror(errno))))") }
        defer { Glibc.close(fd) }
        var bytes = [UInt8](repeating: 0, count: Int(st.st_size))
        var got = 0
        while got < bytes.count {
            let r = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + got, $0.count - got, off_t(got)) }
            guard r > 0 else { throw MedIOError(path, "cannot read dataset.json (short read at byte \(got))") }
            got += r
        }
        return Data(bytes)
    }

    /// Reads a case: the image and (when present) its label map.
    public func read(_ c: MSDCase) throws -> (image: Volume, label: Volume?) {
        (try Nifti.read(c.image), try c.label.map { try Nifti.read($0) })
    }
}
