import Foundation

/// All problems found in a dataset, reported together (one `MedIOError` per problem).
public struct MSDValidationError: Error, CustomStringConvertible, Sendable {
    /// Every problem, in case order.
    public var problems: [MedIOError]
    /// One `<file>: <problem>` line per problem.
    public var description: String { problems.map(\.description).joined(separator: "\n") }
}

extension MSDDataset {
    /// Loads `folder` and validates every case; throws `MSDValidationError` listing every problem.
    public static func open(_ folder: String, affineTolerance: Double = 1e-3) throws -> MSDDataset {
        let ds = try load(folder)
        let problems = ds.validate(affineTolerance: affineTolerance)
        if !problems.isEmpty { throw MSDValidationError(problems: problems) }
        return ds
    }

    /// Reads every image and label and returns every problem found (empty = valid): missing or unreadable
    /// files, duplicate case ids, image/label shape or affine mismatch (affines compared elementwise within
    /// `affineTolerance` mm), channel count differing from the declared modalities, label values that are not
    /// declared in `labels`, NaN/Inf voxels. Cases are checked in parallel; problems come back in case order.
    public func validate(affineTolerance: Double = 1e-3) -> [MedIOError] {
        var problems: [MedIOError] = []
        if training.isEmpty { problems.append(MedIOError(root + "/dataset.json", "no training cases")) }
        var seen = Set<String>()
        for c in training + test where !seen.insert(c.id).inserted {
            problems.append(MedIOError(c.image, "duplicate case id \(c.id)"))
        }
        let cases = training + test
        let declared = Set(labels.keys)
        let nChannels = modalities.count
        let box = ProblemBox(count: cases.count)
        DispatchQueue.concurrentPerform(iterations: cases.count) { i in
            box.set(i, Self.check(cases[i], declared: declared, channels: nChannels, tol: affineTolerance))
        }
        return problems + box.all
    }

    private static func check(_ c: MSDCase, declared: Set<Int>, channels: Int, tol: Double) -> [MedIOError] {
        var out: [MedIOError] = []
        var image: Volume?
        do {
            let f = try Nifti.readFile(c.image)
            image = f.volume
            let bad = f.nonFiniteCount + f.volume.data.reduce(0) { $0 + ($1.isFinite ? 0 : 1) }
            if bad > 0 { out.append(MedIOError(c.image, "\(bad) NaN/Inf voxels")) }
        } catch let e as MedIOError { out.append(e) } catch {
            out.append(MedIOError(c.image, "\(error)"))
        }
        if let img = image {
            if img.channels != channels {
                out.append(MedIOError(c.image, "\(img.channels) channels but dataset.json declares \(channels) modalities"))
            }
        }
        guard let labelPath = c.label else { return out }
        var label: Volume?
        do { label = try Nifti.read(labelPath) } catch let e as MedIOError { out.append(e) } catch {
            out.append(MedIOError(labelPath, "\(error)"))
        }
        guard let lab = label else { return out }
        if lab.channels != 1 { out.append(MedIOError(labelPath, "label map has \(lab.channels) channels")) }
        var values = Set<Int>()
        var nonInteger = 0
        for v in lab.data {
            // Int(exactly:) is nil for NaN/Inf, fractions and values beyond Int's range (Int(1e30) would trap).
            if let i = Int(exactly: v) { values.insert(i) } else { nonInteger += 1 }
        }
        if nonInteger > 0 { out.append(MedIOError(labelPath, "\(nonInteger) voxels are not integer label values")) }
        let undeclared = values.subtracting(declared).sorted()
        if !undeclared.isEmpty {
            out.append(MedIOError(labelPath, "label values \(undeclared) not declared in dataset.json labels \(declared.sorted())"))
        }
        if let img = image {
            if img.spatialShape != lab.spatialShape {
                out.append(MedIOError(labelPath, "shape \(lab.spatialShape) differs from image shape \(img.spatialShape)"))
            }
            let d = Affine.maxDifference(img.affine, lab.affine)
            if d > tol { out.append(MedIOError(labelPath, "affine differs from the image's by up to \(String(format: "%.4g", d)) mm")) }
        }
        return out
    }
}

/// Per-case problem lists filled concurrently.
private final class ProblemBox: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [[MedIOError]]
    init(count: Int) { slots = Array(repeating: [], count: count) }
    func set(_ i: Int, _ p: [MedIOError]) { lock.lock(); slots[i] = p; lock.unlock() }
    var all: [MedIOError] { lock.lock(); defer { lock.unlock() }; return slots.flatMap { $0 } }
}
