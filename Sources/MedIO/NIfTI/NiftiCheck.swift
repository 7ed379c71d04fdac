import CNIfTI
import Foundation

/// What SemiSeg's own pre-check learned from a NIfTI file's header (before libnifti sees the file).
struct NiftiHeaderSummary {
    /// 1 or 2.
    var version: Int
    /// `dim[1...ndim]`.
    var dims: [Int]
    var datatype: NiftiDatatype
    var voxOffset: Int
    /// Bytes in the (decompressed) file.
    var fileSize: Int
    /// Header and data are big-endian (byte-swapped relative to this machine).
    var swapped: Bool
    /// NaN/Inf voxels in float data (read as 0, before scaling).
    var nonFinite = 0
    /// Where they are and which kind (nil when there are none).
    var nonFiniteVoxels: NonFiniteVoxels? = nil
    /// The header's bytes (348 for NIfTI-1, 540 for NIfTI-2), for libnifti's header conversion.
    var header: [UInt8] = []
}

/// Reads a NIfTI file's bytes itself, so that malformed input becomes one clear `MedIOError` and libnifti is only
/// handed a validated header (never a file: libnifti's reader takes the voxels of `x.nii` when asked for
/// `x.nii.gz` and both exist, and trusts the header's sizes).
///
/// Checks, in order: the file exists, is a regular file (not a folder, FIFO or device) named `.nii` or `.nii.gz`,
/// and is non-empty; `.nii.gz` files are gzip and inflate cleanly (to the end); the header is complete;
/// `sizeof_hdr` is 348 (NIfTI-1) or 540 (NIfTI-2), in either byte order; the magic is a single-file
/// `n+1`/`n+2`; `ndim` is 1...7 and every used dimension >= 1; the datatype is supported; `vox_offset` is
/// inside the file; the image has at most `maxVoxels` voxels; the file holds all `nvox * bytes` voxel bytes
/// after `vox_offset`.
///
/// The file is streamed in 1 MiB chunks and the voxels are decoded as they arrive (byte order, datatype,
/// `scl_slope`/`scl_inter`), so memory is the Float32 result only, and only for data actually present: a small
/// `.nii.gz` that inflates to gigabytes costs time, not memory.
enum NiftiCheck {
    /// Largest image accepted: 2^30 voxels (4 GiB as Float32 after reading).
    static let maxVoxels = 1 << 30
    static let headerBytes = 544
    static let chunk = 1 << 20

    /// Checks `path` and returns its header summary and voxel values: Float32, x fastest, after
    /// `scl_slope`/`scl_inter` (applied in Double when the slope is finite and non-zero); NaN/Inf stored
    /// values read as 0 (counted in `nonFinite`).
    static func read(_ path: String) throws -> (summary: NiftiHeaderSummary, values: [Float]) {
        var st = stat()
        guard stat(path, &st) == 0 else {
            throw MedIOError(path, errno == ENOENT || errno == ENOTDIR ? "no such file" : "cannot access file (\(String(cString: strerror(errno))))")
        }
        let kind = st.st_mode & S_IFMT
        guard kind != S_IFDIR else { throw MedIOError(path, "is a directory, not a NIfTI file") }
        guard kind == S_IFREG else { throw MedIOError(path, "not a regular file") }
        let gzName = path.hasSuffix(".gz")
        guard gzName || path.hasSuffix(".nii") else { throw MedIOError(path, "not a .nii or .nii.gz file name") }
        guard st.st_size > 0 else { throw MedIOError(path, "empty file") }

        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw MedIOError(path, "cannot read file (\(String(cString: strerror(errno))))") }
        var closeFD = true
        defer { if closeFD { close(fd) } }
        var magic: [UInt8] = [0, 0]
        let m = pread(fd, &magic, 2, 0)
        let isGzipData = m == 2 && magic == [0x1f, 0x8b]

        let buf = UnsafeMutableRawPointer.allocate(byteCount: chunk, alignment: 16)
        defer { buf.deallocate() }
        var scan = Scan()
        if gzName {
            guard isGzipData else { throw MedIOError(path, "not a gzip file (name ends in .gz, data does not start with gzip magic 1f 8b)") }
            closeFD = false
            guard let gz = gzdopen(fd, "rb") else { close(fd); throw MedIOError(path, "cannot open gzip stream") }
            defer { gzclose(gz) }
            gzbuffer(gz, 1 << 17)
            while true {
                let n = gzread(gz, buf, UInt32(chunk))
                if n < 0 {
                    var errnum: Int32 = 0
                    let msg = gzerror(gz, &errnum).map { String(cString: $0) } ?? "unknown"
                    throw MedIOError(path, "corrupt gzip stream (\(msg))")
                }
                if n == 0 { break }
                scan.feed(UnsafeRawBufferPointer(start: buf, count: Int(n)))
            }
            var errnum: Int32 = 0
            let msg = gzerror(gz, &errnum).map { String(cString: $0) } ?? ""
            if errnum != Z_OK && errnum != Z_STREAM_END {
                if errnum == Z_BUF_ERROR { throw MedIOError(path, "truncated gzip stream (\(msg))") }
                throw MedIOError(path, "corrupt gzip stream (\(msg))")
            }
            guard scan.size > 0 else { throw MedIOError(path, "empty file (gzip stream holds no data)") }
        } else {
            guard !isGzipData else { throw MedIOError(path, "gzip-compressed data in a file not named .gz") }
            // The header, then (when the file is large enough) exactly the voxel bytes; the size comes from fstat.
            let n = pread(fd, buf, headerBytes, 0)
            guard n > 0 else { throw MedIOError(path, "cannot read file (\(String(cString: strerror(errno))))") }
            scan.feed(UnsafeRawBufferPointer(start: buf, count: n))
            if scan.parsed == nil { scan.parseHeader() }
            scan.size = Int(st.st_size)
            if let end = scan.decoder?.end, end <= scan.size {
                scan.decoder!.preallocate()
                var offset = scan.decoder!.next
                while offset < end {
                    let r = pread(fd, buf, min(chunk, end - offset), off_t(offset))
                    guard r > 0 else { throw MedIOError(path, "read error at byte \(offset)") }
                    scan.decode(UnsafeRawBufferPointer(start: buf, count: r), at: offset)
                    offset += r
                }
            }
        }
        return try scan.finish(path: path)
    }

    /// Streaming state: collects the header's bytes, parses it as soon as it is complete, then decodes the voxel
    /// region chunk by chunk, and counts the file's bytes.
    private struct Scan {
        var header: [UInt8] = []
        var size = 0
        var parsed: Result<Parsed, HeaderProblem>?
        var decoder: Decoder?

        mutating func feed(_ bytes: UnsafeRawBufferPointer) {
            let pos = size
            size += bytes.count
            if header.count < headerBytes {
                header.append(contentsOf: bytes.prefix(headerBytes - header.count))
                if header.count == headerBytes { parseHeader() }
            }
            decode(bytes, at: pos)
        }

        mutating func decode(_ bytes: UnsafeRawBufferPointer, at pos: Int) {
            if decoder != nil { decoder!.feed(bytes, at: pos) }
        }

        /// Parses the header bytes collected so far (all of them: 544, or the whole file when shorter) and
        /// starts decoding with the voxel bytes already inside them.
        mutating func parseHeader() {
            let p = Result { try NiftiCheck.parseHeader(header) }.mapError { $0 as! HeaderProblem }
            parsed = p
            if case .success(let h) = p, let need = h.dataBytes {
                decoder = Decoder(h, start: h.voxOffset, end: h.voxOffset + need)
                header.withUnsafeBytes { decode($0, at: 0) }
            }
        }

        mutating func finish(path: String) throws -> (summary: NiftiHeaderSummary, values: [Float]) {
            if parsed == nil { parseHeader() }
            let h: Parsed
            switch parsed! {
            case .success(let v): h = v
            case .failure(let e): throw MedIOError(path, e.problem(size))
            }
            guard h.voxOffset <= size else { throw MedIOError(path, "vox_offset \(h.voxOffset) past end of file (\(size) bytes)") }
            guard let need = h.dataBytes, let decoder else { throw MedIOError(path, "dims \(h.dims) exceed \(maxVoxels) voxels") }
            guard size - h.voxOffset >= need, decoder.filled == decoder.total, decoder.values.count == decoder.total else {
                throw MedIOError(path, "dims \(h.dims) larger than the data: need \(need) bytes after vox_offset \(h.voxOffset), file has \(max(0, size - h.voxOffset))")
            }
            let summary = NiftiHeaderSummary(version: h.version, dims: h.dims, datatype: h.datatype, voxOffset: h.voxOffset,
                                             fileSize: size, swapped: h.swapped, nonFinite: decoder.nonFinite,
                                             nonFiniteVoxels: decoder.nonFiniteVoxels, header: Array(header.prefix(h.version == 1 ? 348 : 540)))
            return (summary, decoder.values)
        }
    }

    /// Decodes the voxel bytes `[start, end)` into scaled Float32 values. Bytes must arrive in order; bytes before
    /// `next` (already decoded) are skipped, so overlapping feeds are harmless. `values` grows (doubling, capped at
    /// the voxel count) only as data arrives, unless `preallocate()` was called because the data is known present.
    private struct Decoder {
        let start: Int, end: Int, width: Int, swapped: Bool, datatype: NiftiDatatype
        let scale: Scale
        /// First byte position not decoded yet.
        var next: Int
        var nonFinite = 0
        var nonFiniteVoxels: NonFiniteVoxels? = nil
        /// Decoded values are `values[0..<filled]`.
        var values: [Float] = []
        var filled = 0
        var carry: [UInt8] = []
        var total: Int { (end - start) / width }

        init(_ h: Parsed, start: Int, end: Int) {
            (self.start, self.end, self.next) = (start, end, start)
            (width, swapped, datatype) = (h.datatype.bytes, h.swapped, h.datatype)
            scale = Scale(slope: h.slope, inter: h.inter, on: !(h.slope == 1 && h.inter == 0))
        }

        /// Allocates all `total` values at once (the caller knows the file holds them).
        mutating func preallocate() {
            if values.count < total { values.append(contentsOf: repeatElement(0, count: total - values.count)) }
        }

        mutating func feed(_ bytes: UnsafeRawBufferPointer, at pos: Int) {
            let lo = max(next, pos), hi = min(end, pos + bytes.count)
            guard lo < hi, lo == next else { return }
            next = hi
            var i = lo - pos
            let stop = hi - pos
            while !carry.isEmpty && i < stop {
                carry.append(bytes[i]); i += 1
                if carry.count == width {
                    let c = carry
                    c.withUnsafeBytes { decode($0, from: 0, count: 1) }
                    carry.removeAll()
                }
            }
            let whole = (stop - i) / width
            if whole > 0 { decode(bytes, from: i, count: whole); i += whole * width }
            while i < stop { carry.append(bytes[i]); i += 1 }
        }

        private mutating func decode(_ b: UnsafeRawBufferPointer, from o: Int, count n: Int) {
            if values.count < filled + n {
                let want = min(total, max(filled + n, values.count * 2))
                values.append(contentsOf: repeatElement(0, count: want - values.count))
            }
            let (dt, swapped, scale, at) = (datatype, swapped, scale, filled)
            var found: [(Int, Float)] = []
            let bad = values.withUnsafeMutableBufferPointer { v -> Int in
                let out = v.baseAddress! + at
                switch dt {
                case .uint8: return Self.ints(b, o, n, UInt8.self, swapped, scale, out)
                case .int8: return Self.ints(b, o, n, Int8.self, swapped, scale, out)
                case .int16: return Self.ints(b, o, n, Int16.self, swapped, scale, out)
                case .uint16: return Self.ints(b, o, n, UInt16.self, swapped, scale, out)
                case .int32: return Self.ints(b, o, n, Int32.self, swapped, scale, out)
                case .uint32: return Self.ints(b, o, n, UInt32.self, swapped, scale, out)
                case .int64: return Self.ints(b, o, n, Int64.self, swapped, scale, out)
                case .uint64: return Self.ints(b, o, n, UInt64.self, swapped, scale, out)
                case .float32:
                    var bad = 0
                    for k in 0..<n {
                        var bits = b.loadUnaligned(fromByteOffset: o + 4 * k, as: UInt32.self)
                        if swapped { bits = bits.byteSwapped }
                        let f = Float(bitPattern: bits)
                        if f.isFinite { out[k] = scale.on ? scale.apply(Double(f)) : f } else { bad += 1; out[k] = scale.apply(0); found.append((at + k, f)) }
                    }
                    return bad
                case .float64:
                    var bad = 0
                    for k in 0..<n {
                        var bits = b.loadUnaligned(fromByteOffset: o + 8 * k, as: UInt64.self)
                        if swapped { bits = bits.byteSwapped }
                        let f = Double(bitPattern: bits)
                        if f.isFinite { out[k] = scale.apply(f) } else { bad += 1; out[k] = scale.apply(0); found.append((at + k, Float(f))) }
                    }
                    return bad
                }
            }
            nonFinite += bad
            if !found.isEmpty {
                var nf = nonFiniteVoxels ?? NonFiniteVoxels(count: total)
                for (i, f) in found { nf.insert(i, f) }
                nonFiniteVoxels = nf
            }
            filled += n
        }

        private static func ints<T: FixedWidthInteger>(_ b: UnsafeRawBufferPointer, _ o: Int, _ n: Int, _: T.Type,
                                                        _ swapped: Bool, _ scale: Scale, _ out: UnsafeMutablePointer<Float>) -> Int {
            let size = MemoryLayout<T>.size
            for k in 0..<n {
                var v = b.loadUnaligned(fromByteOffset: o + size * k, as: T.self)
                if swapped { v = v.byteSwapped }
                out[k] = scale.apply(Double(v))
            }
            return 0
        }
    }

    /// `scl_slope`/`scl_inter`, applied in Double when `on` (as nibabel and the previous libnifti path did).
    private struct Scale {
        let slope: Double, inter: Double, on: Bool
        @inline(__always) func apply(_ x: Double) -> Float { on ? Float(x * slope + inter) : Float(x) }
    }

    /// The header fields the checks need; `dataBytes` is nil when the voxel count exceeds `maxVoxels`.
    private struct Parsed {
        var version: Int, dims: [Int], datatype: NiftiDatatype, voxOffset: Int, swapped: Bool
        var dataBytes: Int?
        /// `scl_slope`/`scl_inter` as applied: (1, 0) when the slope is 0 or not finite; inter 0 when not finite.
        var slope = 1.0, inter = 0.0
    }

    /// A problem found in the header alone; its text may mention the file size, known only at the end.
    private struct HeaderProblem: Error {
        var problem: (Int) -> String
        init(_ text: String) { problem = { _ in text } }
        init(_ text: @escaping (Int) -> String) { problem = text }
    }

    /// Checks what the header alone can tell (`h`: the first 544 bytes, or the whole file when shorter).
    private static func parseHeader(_ h: [UInt8]) throws -> Parsed {
        guard h.count >= 4 else { throw HeaderProblem { "truncated header (\($0) bytes, need at least 348)" } }
        func u32(_ o: Int, _ swap: Bool) -> UInt32 {
            let v = UInt32(h[o]) | UInt32(h[o + 1]) << 8 | UInt32(h[o + 2]) << 16 | UInt32(h[o + 3]) << 24
            return swap ? v.byteSwapped : v
        }
        func u64(_ o: Int, _ swap: Bool) -> UInt64 {
            var v: UInt64 = 0
            for k in 0..<8 { v |= UInt64(h[o + k]) << (8 * UInt64(k)) }
            return swap ? v.byteSwapped : v
        }
        func i16(_ o: Int, _ swap: Bool) -> Int {
            let v = UInt16(h[o]) | UInt16(h[o + 1]) << 8
            return Int(Int16(bitPattern: swap ? v.byteSwapped : v))
        }
        let le = u32(0, false)
        let version: Int, swap: Bool
        switch le {
        case 348: (version, swap) = (1, false)
        case UInt32(348).byteSwapped: (version, swap) = (1, true)
        case 540: (version, swap) = (2, false)
        case UInt32(540).byteSwapped: (version, swap) = (2, true)
        default: throw HeaderProblem("not a NIfTI file (sizeof_hdr is \(Int32(bitPattern: le)), expected 348 or 540)")
        }
        let hdrSize = version == 1 ? 348 : 540
        guard h.count >= hdrSize else {
            throw HeaderProblem { "truncated header (\($0) bytes, NIfTI-\(version) header needs \(hdrSize))" }
        }
        var dims = [Int](), code: Int, voxOffset: Int, slope: Double, inter: Double
        if version == 1 {
            let magic = Array(h[344..<348])
            if magic == Array("ni1\0".utf8) { throw HeaderProblem("separate .hdr/.img NIfTI pairs are not supported (magic ni1)") }
            guard magic == Array("n+1\0".utf8) else { throw HeaderProblem("wrong magic \(describe(magic)), expected \"n+1\"") }
            let nd = i16(40, swap)
            guard (1...7).contains(nd) else { throw HeaderProblem("ndim \(nd) out of range 1...7") }
            for d in 1...nd { dims.append(i16(40 + 2 * d, swap)) }
            code = i16(70, swap)
            let bits = u32(108, swap)
            let f = Float(bitPattern: bits)
            guard f.isFinite, f >= 0, f < 1e15 else { throw HeaderProblem("invalid vox_offset \(f)") }
            voxOffset = Int(f)
            (slope, inter) = (Double(Float(bitPattern: u32(112, swap))), Double(Float(bitPattern: u32(116, swap))))
        } else {
            let magic = Array(h[4..<12])
            // libnifti takes the version from the 4th byte too ("n+2X" is "bad version" to it).
            guard Array(magic.prefix(4)) == Array("n+2\0".utf8) else {
                if Array(magic.prefix(3)) == Array("ni2".utf8) { throw HeaderProblem("separate .hdr/.img NIfTI pairs are not supported (magic ni2)") }
                throw HeaderProblem("wrong magic \(describe(Array(magic.prefix(4)))), expected \"n+2\"")
            }
            let nd = Int(Int64(bitPattern: u64(16, swap)))
            guard (1...7).contains(nd) else { throw HeaderProblem("ndim \(nd) out of range 1...7") }
            for d in 1...nd {
                let v = Int64(bitPattern: u64(16 + 8 * d, swap))
                guard v >= -(1 << 40) && v < (1 << 40) else { throw HeaderProblem("dimension \(d) is \(v)") }
                dims.append(Int(v))
            }
            code = i16(12, swap)
            let off = Int64(bitPattern: u64(168, swap))
            guard off >= 0 && off < (1 << 50) else { throw HeaderProblem("invalid vox_offset \(off)") }
            voxOffset = Int(off)
            (slope, inter) = (Double(bitPattern: u64(176, swap)), Double(bitPattern: u64(184, swap)))
        }
        if !slope.isFinite || slope == 0 { (slope, inter) = (1, 0) }
        if !inter.isFinite { inter = 0 }
        for (k, d) in dims.enumerated() where d < 1 {
            throw HeaderProblem("dimension \(k + 1) is \(d) (must be >= 1)")
        }
        guard let dt = NiftiDatatype(rawValue: Int32(code)) else {
            throw HeaderProblem("unsupported datatype code \(code)")
        }
        guard voxOffset >= hdrSize else { throw HeaderProblem("vox_offset \(voxOffset) inside the \(hdrSize)-byte header") }
        var nvox: Int? = 1
        for d in dims {
            guard let n = nvox else { break }
            let (p, o) = n.multipliedReportingOverflow(by: d)
            nvox = !o && p <= maxVoxels ? p : nil
        }
        return Parsed(version: version, dims: dims, datatype: dt, voxOffset: voxOffset, swapped: swap,
                      dataBytes: nvox.map { $0 * dt.bytes }, slope: slope, inter: inter)
    }

    private static func describe(_ bytes: [UInt8]) -> String {
        "\"" + bytes.map { (32..<127).contains($0) ? String(UnicodeScalar($0)) : String(format: "\\x%02x", $0) }.joined() + "\""
    }
}

/// The NaN / ±Inf voxels of a file's float data (which the reader replaces by 0): counts by kind and a bit mask of
/// their positions (voxel index, x fastest), so statistics can skip them (`semiseg inspect`).
public struct NonFiniteVoxels: Sendable, Equatable {
    public private(set) var nan = 0
    public private(set) var positiveInf = 0
    public private(set) var negativeInf = 0
    private var mask: [UInt64]

    init(count: Int) { mask = [UInt64](repeating: 0, count: (count + 63) / 64) }

    mutating func insert(_ index: Int, _ value: Float) {
        if value.isNaN { nan += 1 } else if value > 0 { positiveInf += 1 } else { negativeInf += 1 }
        mask[index >> 6] |= 1 << UInt64(index & 63)
    }

    /// Whether voxel `index` was NaN or infinite in the file.
    public func contains(_ index: Int) -> Bool { index >> 6 < mask.count && mask[index >> 6] & (1 << UInt64(index & 63)) != 0 }
}
