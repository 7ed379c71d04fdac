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
    /// NaN/Inf voxels in float data (libnifti replaces them with 0 when reading).
    var nonFinite = 0
}

/// Validates a NIfTI file's bytes so libnifti is only handed files it can read without crashing or exiting.
///
/// Checks, in order: the file exists and is non-empty; `.gz` files are gzip and inflate cleanly (to the end);
/// the header is complete; `sizeof_hdr` is 348 (NIfTI-1) or 540 (NIfTI-2), in either byte order; the magic
/// is a single-file `n+1`/`n+2`; `ndim` is 1...7 and every used dimension >= 1; the datatype is supported;
/// `vox_offset` is inside the file; the file holds all `nvox * bytes` voxel bytes after `vox_offset`.
enum NiftiCheck {
    static let maxVoxels = 1 << 31

    static func check(_ path: String) throws -> NiftiHeaderSummary {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw MedIOError(path, "no such file")
        }
        guard !isDir.boolValue else { throw MedIOError(path, "is a directory, not a NIfTI file") }
        // Checked before reading: on Linux FileManager.contents(atPath:) leaks its 4 KB read buffer for a
        // zero-length file (swift-foundation readBytesFromFile; found by LeakSanitizer, scripts/sanitize.sh address).
        var st = stat()
        if stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG && st.st_size == 0 {
            throw MedIOError(path, "empty file")
        }
        guard let raw = FileManager.default.contents(atPath: path) else { throw MedIOError(path, "cannot read file") }
        guard !raw.isEmpty else { throw MedIOError(path, "empty file") }
        let isGzipData = raw.count >= 2 && raw[raw.startIndex] == 0x1f && raw[raw.startIndex + 1] == 0x8b
        let bytes: Data
        if path.hasSuffix(".gz") {
            guard isGzipData else { throw MedIOError(path, "not a gzip file (name ends in .gz, data does not start with gzip magic 1f 8b)") }
            bytes = try inflateAll(path)
        } else {
            guard !isGzipData else { throw MedIOError(path, "gzip-compressed data in a file not named .gz") }
            guard path.hasSuffix(".nii") else { throw MedIOError(path, "not a .nii or .nii.gz file name") }
            bytes = raw
        }
        var summary = try parse(Array(bytes.prefix(544)), size: bytes.count, path: path)
        summary.nonFinite = countNonFinite(bytes, summary, swapped: summary.swapped)
        return summary
    }

    /// Inflates the whole gzip stream through zlib.
    private static func inflateAll(_ path: String) throws -> Data {
        guard let gz = gzopen(path, "rb") else { throw MedIOError(path, "cannot open gzip stream") }
        defer { gzclose(gz) }
        gzbuffer(gz, 1 << 17)
        var out = Data()
        let chunk = 1 << 20
        let buf = UnsafeMutableRawPointer.allocate(byteCount: chunk, alignment: 16)
        defer { buf.deallocate() }
        while true {
            let n = gzread(gz, buf, UInt32(chunk))
            if n < 0 {
                var errnum: Int32 = 0
                let msg = gzerror(gz, &errnum).map { String(cString: $0) } ?? "unknown"
                throw MedIOError(path, "corrupt gzip stream (\(msg))")
            }
            if n == 0 { break }
            out.append(buf.assumingMemoryBound(to: UInt8.self), count: Int(n))
        }
        var errnum: Int32 = 0
        let msg = gzerror(gz, &errnum).map { String(cString: $0) } ?? ""
        if errnum != Z_OK && errnum != Z_STREAM_END {
            if errnum == Z_BUF_ERROR { throw MedIOError(path, "truncated gzip stream (\(msg))") }
            throw MedIOError(path, "corrupt gzip stream (\(msg))")
        }
        guard !out.isEmpty else { throw MedIOError(path, "empty file (gzip stream holds no data)") }
        return out
    }

    /// Number of NaN/Inf values in float32/float64 voxel data (libnifti silently replaces them with 0).
    private static func countNonFinite(_ bytes: Data, _ s: NiftiHeaderSummary, swapped: Bool) -> Int {
        guard s.datatype == .float32 || s.datatype == .float64 else { return 0 }
        let n = s.dims.reduce(1, *)
        return bytes.withUnsafeBytes { raw -> Int in
            var bad = 0
            if s.datatype == .float32 {
                for i in 0..<n {
                    var b = raw.loadUnaligned(fromByteOffset: s.voxOffset + 4 * i, as: UInt32.self)
                    if swapped { b = b.byteSwapped }
                    if b & 0x7F80_0000 == 0x7F80_0000 { bad += 1 }
                }
            } else {
                for i in 0..<n {
                    var b = raw.loadUnaligned(fromByteOffset: s.voxOffset + 8 * i, as: UInt64.self)
                    if swapped { b = b.byteSwapped }
                    if b & 0x7FF0_0000_0000_0000 == 0x7FF0_0000_0000_0000 { bad += 1 }
                }
            }
            return bad
        }
    }

    private static func parse(_ h: [UInt8], size: Int, path: String) throws -> NiftiHeaderSummary {
        guard h.count >= 4 else { throw MedIOError(path, "truncated header (\(size) bytes, need at least 348)") }
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
        default: throw MedIOError(path, "not a NIfTI file (sizeof_hdr is \(Int32(bitPattern: le)), expected 348 or 540)")
        }
        let hdrSize = version == 1 ? 348 : 540
        guard h.count >= hdrSize else {
            throw MedIOError(path, "truncated header (\(size) bytes, NIfTI-\(version) header needs \(hdrSize))")
        }
        var dims = [Int](), code: Int, voxOffset: Int
        if version == 1 {
            let magic = Array(h[344..<348])
            if magic == Array("ni1\0".utf8) { throw MedIOError(path, "separate .hdr/.img NIfTI pairs are not supported (magic ni1)") }
            guard magic == Array("n+1\0".utf8) else { throw MedIOError(path, "wrong magic \(describe(magic)), expected \"n+1\"") }
            let nd = i16(40, swap)
            guard (1...7).contains(nd) else { throw MedIOError(path, "ndim \(nd) out of range 1...7") }
            for d in 1...nd { dims.append(i16(40 + 2 * d, swap)) }
            code = i16(70, swap)
            let bits = u32(108, swap)
            let f = Float(bitPattern: bits)
            guard f.isFinite, f >= 0, f < 1e15 else { throw MedIOError(path, "invalid vox_offset \(f)") }
            voxOffset = Int(f)
        } else {
            let magic = Array(h[4..<12])
            guard Array(magic.prefix(3)) == Array("n+2".utf8) else {
                if Array(magic.prefix(3)) == Array("ni2".utf8) { throw MedIOError(path, "separate .hdr/.img NIfTI pairs are not supported (magic ni2)") }
                throw MedIOError(path, "wrong magic \(describe(Array(magic.prefix(4)))), expected \"n+2\"")
            }
            let nd = Int(Int64(bitPattern: u64(16, swap)))
            guard (1...7).contains(nd) else { throw MedIOError(path, "ndim \(nd) out of range 1...7") }
            for d in 1...nd {
                let v = Int64(bitPattern: u64(16 + 8 * d, swap))
                guard v >= -(1 << 40) && v < (1 << 40) else { throw MedIOError(path, "dimension \(d) is \(v)") }
                dims.append(Int(v))
            }
            code = i16(12, swap)
            let off = Int64(bitPattern: u64(168, swap))
            guard off >= 0 && off < (1 << 50) else { throw MedIOError(path, "invalid vox_offset \(off)") }
            voxOffset = Int(off)
        }
        for (k, d) in dims.enumerated() where d < 1 {
            throw MedIOError(path, "dimension \(k + 1) is \(d) (must be >= 1)")
        }
        guard let dt = NiftiDatatype(rawValue: Int32(code)) else {
            throw MedIOError(path, "unsupported datatype code \(code)")
        }
        guard voxOffset >= hdrSize else { throw MedIOError(path, "vox_offset \(voxOffset) inside the \(hdrSize)-byte header") }
        guard voxOffset <= size else { throw MedIOError(path, "vox_offset \(voxOffset) past end of file (\(size) bytes)") }
        var nvox = 1
        for d in dims {
            let (p, o) = nvox.multipliedReportingOverflow(by: d)
            guard !o, p <= maxVoxels else { throw MedIOError(path, "dims \(dims) exceed \(maxVoxels) voxels") }
            nvox = p
        }
        let need = nvox * dt.bytes
        guard size - voxOffset >= need else {
            throw MedIOError(path, "dims \(dims) larger than the data: need \(need) bytes after vox_offset \(voxOffset), file has \(size - voxOffset)")
        }
        return NiftiHeaderSummary(version: version, dims: dims, datatype: dt, voxOffset: voxOffset, fileSize: size, swapped: swap)
    }

    private static func describe(_ bytes: [UInt8]) -> String {
        "\"" + bytes.map { (32..<127).contains($0) ? String(UnicodeScalar($0)) : String(format: "\\x%02x", $0) }.joined() + "\""
    }
}
