import AtomicIO
import Engine
import Foundation

/// Reading and writing the safetensors format (https://github.com/huggingface/safetensors):
/// an 8-byte little-endian header length, a JSON header `{name: {"dtype", "shape", "data_offsets": [begin, end]},
/// "__metadata__": {string: string}}`, then the raw little-endian tensor bytes (offsets relative to the data start).
///
/// Tensors are always `Float32` in SemiSeg; on disk F32 and I64 are supported (PyTorch stores BatchNorm's
/// `num_batches_tracked` as int64). Errors are thrown, never trapped.
public enum SafeTensors {
    /// On-disk element types supported here.
    public enum DType: String, Sendable {
        /// 32-bit IEEE float.
        case f32 = "F32"
        /// 64-bit signed integer (converted to/from Float on load/save).
        case i64 = "I64"

        var byteSize: Int { self == .f32 ? 4 : 8 }
    }

    /// A failure naming the file and the problem.
    public struct FormatError: Error, CustomStringConvertible, Equatable {
        /// The file (or "<memory>").
        public let file: String
        /// What is wrong.
        public let problem: String
        /// Creates an error for `file`.
        public init(file: String, problem: String) { self.file = file; self.problem = problem }
        /// `file: problem`.
        public var description: String { "\(file): \(problem)" }
    }

    /// The parsed contents of a file: tensors (as Float32) with their on-disk dtypes, plus metadata.
    public struct Contents {
        /// Tensors by name.
        public var tensors: [String: Tensor]
        /// On-disk dtype of each tensor.
        public var dtypes: [String: DType]
        /// The `__metadata__` string map (empty when absent).
        public var metadata: [String: String]
    }

    // MARK: - Reading

    /// Reads a safetensors file.
    public static func read(contentsOf url: URL) throws -> Contents {
        let data: Data
        do { data = try FileBytes.read(url) } catch {
            throw FormatError(file: url.path, problem: "cannot read file (\(error))")
        }
        return try decode(data, name: url.path)
    }

    /// Reads only the tensors of a safetensors file.
    public static func load(contentsOf url: URL) throws -> [String: Tensor] { try read(contentsOf: url).tensors }

    /// Decodes safetensors bytes; `name` is used in error messages.
    public static func decode(_ data: Data, name: String = "<memory>") throws -> Contents {
        func fail(_ p: String) -> FormatError { FormatError(file: name, problem: p) }
        let bytes = [UInt8](data)
        guard bytes.count >= 8 else { throw fail("truncated: \(bytes.count) bytes, need at least 8 for the header length") }
        var headerLen: UInt64 = 0
        for i in 0..<8 { headerLen |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        guard headerLen <= UInt64(bytes.count - 8) else {
            throw fail("truncated: header length \(headerLen) exceeds the \(bytes.count - 8) bytes after the length field")
        }
        let dataStart = 8 + Int(headerLen)
        let json: Any
        do { json = try JSONSerialization.jsonObject(with: Data(bytes[8..<dataStart])) } catch {
            throw fail("bad header JSON (\(error.localizedDescription))")
        }
        guard let header = json as? [String: Any] else { throw fail("bad header JSON: top level is not an object") }
        let dataCount = bytes.count - dataStart
        var contents = Contents(tensors: [:], dtypes: [:], metadata: [:])
        for (key, value) in header {
            if key == "__metadata__" {
                guard let meta = value as? [String: Any] else { throw fail("bad header JSON: __metadata__ is not an object") }
                for (k, v) in meta {
                    guard let s = v as? String else { throw fail("bad header JSON: __metadata__ value for \(k) is not a string") }
                    contents.metadata[k] = s
                }
                continue
            }
            guard let entry = value as? [String: Any] else { throw fail("bad header JSON: entry \(key) is not an object") }
            guard let dtypeName = entry["dtype"] as? String else { throw fail("tensor \(key): missing dtype") }
            guard let dtype = DType(rawValue: dtypeName) else { throw fail("tensor \(key): unsupported dtype \(dtypeName) (F32 and I64 are supported)") }
            guard let shapeAny = entry["shape"] as? [Any], let shape = intArray(shapeAny), shape.allSatisfy({ $0 >= 0 }) else {
                throw fail("tensor \(key): shape is not a list of non-negative integers")
            }
            guard let offAny = entry["data_offsets"] as? [Any], let offs = intArray(offAny), offs.count == 2 else {
                throw fail("tensor \(key): data_offsets is not a pair of integers")
            }
            let (begin, end) = (offs[0], offs[1])
            guard begin >= 0, begin <= end, end <= dataCount else {
                throw fail("tensor \(key): data_offsets [\(begin), \(end)] out of range (data section has \(dataCount) bytes)")
            }
            var n = 1
            for d in shape {
                let (m, overflow) = n.multipliedReportingOverflow(by: d)
                guard !overflow else { throw fail("tensor \(key): shape \(shape) is too large") }
                n = m
            }
            // n x byteSize can overflow for a shape whose element count fits an Int (review: Fuzz/regressions/safetensors).
            let (byteCount, tooLarge) = n.multipliedReportingOverflow(by: dtype.byteSize)
            guard !tooLarge else { throw fail("tensor \(key): shape \(shape) is too large") }
            guard end - begin == byteCount else {
                throw fail("tensor \(key): \(end - begin) bytes for shape \(shape) of \(dtype.rawValue) (expected \(byteCount))")
            }
            let t = Tensor(zeros: shape)
            let base = dataStart + begin
            t.withMutableData { out in
                switch dtype {
                case .f32:
                    for i in 0..<n {
                        var u: UInt32 = 0
                        for b in 0..<4 { u |= UInt32(bytes[base + 4 * i + b]) << (8 * UInt32(b)) }
                        out[i] = Float(bitPattern: u)
                    }
                case .i64:
                    for i in 0..<n {
                        var u: UInt64 = 0
                        for b in 0..<8 { u |= UInt64(bytes[base + 8 * i + b]) << (8 * UInt64(b)) }
                        out[i] = Float(Int64(bitPattern: u))
                    }
                }
            }
            contents.tensors[key] = t
            contents.dtypes[key] = dtype
        }
        return contents
    }

    private static func intArray(_ values: [Any]) -> [Int]? {
        var out: [Int] = []
        for v in values {
            guard let n = v as? NSNumber else { return nil }
            let d = n.doubleValue
            guard d == d.rounded(), Swift.abs(d) < 9e15 else { return nil }
            out.append(n.intValue)
        }
        return out
    }

    // MARK: - Writing

    /// Encodes tensors (names sorted) as safetensors bytes; names in `integerNames` are written as I64
    /// (values rounded to the nearest integer).
    public static func encode(_ tensors: [String: Tensor], integerNames: Set<String> = [], metadata: [String: String] = [:]) throws -> Data {
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        let names = tensors.keys.sorted()
        var offset = 0
        for name in names {
            guard let t = tensors[name] else { continue }
            let dtype: DType = integerNames.contains(name) ? .i64 : .f32
            let size = t.count * dtype.byteSize
            header[name] = ["dtype": dtype.rawValue, "shape": t.shape, "data_offsets": [offset, offset + size]] as [String: Any]
            offset += size
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while json.count % 8 != 0 { json.append(0x20) }  // pad with spaces so the data is 8-byte aligned
        var out = Data(capacity: 8 + json.count + offset)
        var len = UInt64(json.count).littleEndian
        withUnsafeBytes(of: &len) { out.append(contentsOf: $0) }
        out.append(json)
        for name in names {
            guard let t = tensors[name] else { continue }
            if integerNames.contains(name) {
                var buf = [UInt8](repeating: 0, count: t.count * 8)
                t.withData { src in
                    for i in 0..<src.count {
                        let u = UInt64(bitPattern: Int64(src[i].rounded()))
                        for b in 0..<8 { buf[8 * i + b] = UInt8(truncatingIfNeeded: u >> (8 * UInt64(b))) }
                    }
                }
                out.append(contentsOf: buf)
            } else {
                var buf = [UInt8](repeating: 0, count: t.count * 4)
                t.withData { src in
                    for i in 0..<src.count {
                        let u = src[i].bitPattern
                        for b in 0..<4 { buf[4 * i + b] = UInt8(truncatingIfNeeded: u >> (8 * UInt32(b))) }
                    }
                }
                out.append(contentsOf: buf)
            }
        }
        return out
    }

    /// Writes tensors to a safetensors file (see `encode`).
    public static func write(_ tensors: [String: Tensor], to url: URL, integerNames: Set<String> = [], metadata: [String: String] = [:]) throws {
        let data = try encode(tensors, integerNames: integerNames, metadata: metadata)
        do { try AtomicWrite.write(data, to: url) } catch let f as AtomicWrite.Failure {
            throw FormatError(file: url.path, problem: f.noSpace ? "no space left on device" : "cannot write file (\(f.reason))")
        }
    }
}

extension Module {
    /// Saves the state dict as safetensors, with int64 buffers (`num_batches_tracked`) as I64, so that
    /// PyTorch's `load_state_dict(strict=True)` accepts it.
    public func saveSafetensors(to url: URL, metadata: [String: String] = [:]) throws {
        try SafeTensors.write(stateDict(), to: url, integerNames: integerStateNames(), metadata: metadata)
    }

    /// Loads a safetensors state dict strictly (see `load(stateDict:)`).
    public func loadSafetensors(from url: URL) throws {
        try load(stateDict: SafeTensors.load(contentsOf: url))
    }
}
