import AtomicIO
import CNIfTI
import Foundation

/// A NIfTI file as read: the volume (scaled Float32 values) plus what the header said about storage.
public struct NiftiFile: Sendable {
    /// The image, values after `scl_slope`/`scl_inter`.
    public var volume: Volume
    /// Datatype stored on disk.
    public var datatype: NiftiDatatype
    /// NIfTI format version, 1 or 2.
    public var version: Int
    /// NaN/Inf voxels found in the file's float data. They are read as 0 (before scaling), so `volume`
    /// holds `scl_inter` there; dataset validation reports them.
    public var nonFiniteCount: Int = 0
    /// Their positions and kinds (NaN, +Inf, -Inf); nil when there are none.
    public var nonFiniteVoxels: NonFiniteVoxels? = nil
}

/// NIfTI-1/NIfTI-2 reading and writing (`.nii`, `.nii.gz`) through libnifti (nifti2_io).
///
/// Reading: SemiSeg streams and checks the file itself and decodes the voxels (see `NiftiCheck`); libnifti
/// converts the validated header into geometry. Malformed input becomes a `MedIOError` naming the file and
/// the problem, never a crash or a libnifti message on stderr. Writing goes through libnifti.
public enum Nifti {
    private static let quiet: Void = { nifti_set_debug_level(0) }()

    /// Reads `path` and returns the volume only (see `readFile` for the header details).
    public static func read(_ path: String) throws -> Volume { try readFile(path).volume }

    /// Reads a `.nii`/`.nii.gz` file (NIfTI-1 or -2; uint8, int8, int16, uint16, int32, uint32, int64,
    /// uint64, float32, float64). Shape: `[nx, ny, nz]` (1D/2D padded with 1s) or `[nx, ny, nz, nc]`;
    /// dimensions 5-7 must be 1; at most 2^30 voxels. Values are scaled by `scl_slope`/`scl_inter` when the
    /// slope is finite and non-zero. Spacing (mm) is `|pixdim[1...3]|` (0/NaN/Inf read as 1). The affine
    /// (voxel -> RAS+ mm) follows nibabel: sform if `sform_code > 0`, else qform if `qform_code > 0`, else
    /// from pixdim; a sform or qform with non-finite entries or a singular 3x3 part counts as absent (code 0).
    /// Throws `MedIOError` for every malformed file (see `NiftiCheck`); nothing is ever written.
    public static func readFile(_ path: String) throws -> NiftiFile {
        _ = quiet
        let (summary, values) = try NiftiCheck.read(path)
        guard summary.dims.count <= 4 || summary.dims[4...].allSatisfy({ $0 == 1 }) else {
            throw MedIOError(path, "\(summary.dims.count)-dimensional image \(summary.dims) is not supported (at most x, y, z, channel)")
        }
        // libnifti turns the (validated) header into geometry: quaternion -> qform matrix, sform, pixdim.
        let nimOpt: UnsafeMutablePointer<nifti_image>?
        if summary.version == 1 {
            var h = nifti_1_header()
            withUnsafeMutableBytes(of: &h) { $0.copyBytes(from: summary.header.prefix($0.count)) }
            nimOpt = nifti_convert_n1hdr2nim(h, path)
        } else {
            var h = nifti_2_header()
            withUnsafeMutableBytes(of: &h) { $0.copyBytes(from: summary.header.prefix($0.count)) }
            nimOpt = nifti_convert_n2hdr2nim(h, path)
        }
        guard let nim = nimOpt else { throw MedIOError(path, "libnifti could not interpret the header") }
        defer { nifti_image_free(nim) }
        let n = nim.pointee
        guard Int(n.nvox) == values.count else {
            throw MedIOError(path, "libnifti reads the header as \(n.nvox) voxels, SemiSeg as \(values.count)")
        }
        let d = summary.dims
        var shape = [d[0], d.count > 1 ? d[1] : 1, d.count > 2 ? d[2] : 1]
        if d.count > 3 && d[3] > 1 { shape.append(d[3]) }
        // Spacing: |pixdim|, with 0, NaN and Inf taken as 1 mm. A sform/qform that is not finite or is singular
        // cannot place voxels in the world, so it is treated as absent (code 0), as if the file had none.
        let pix = [n.pixdim.1, n.pixdim.2, n.pixdim.3].map { abs($0) }.map { $0.isFinite && $0 > 0 ? $0 : 1.0 }
        let qform = matrix(n.qto_xyz), sform = matrix(n.sto_xyz)
        let qformCode = n.qform_code > 0 && usable(qform) ? Int(n.qform_code) : 0
        let sformCode = n.sform_code > 0 && usable(sform) ? Int(n.sform_code) : 0
        let affine: [[Double]]
        if sformCode > 0 { affine = sform } else if qformCode > 0 { affine = qform } else {
            affine = Geometry.pixdimAffine(shape: shape, zooms: pix)
        }
        let g = Geometry(affine: affine, spacing: pix, qformCode: qformCode, sformCode: sformCode,
                         qform: qform, sform: sform)
        return NiftiFile(volume: Volume(shape: shape, data: values, geometry: g), datatype: summary.datatype,
                         version: summary.version, nonFiniteCount: summary.nonFinite, nonFiniteVoxels: summary.nonFiniteVoxels)
    }

    /// Writes `volume` to `path` (`.nii` or `.nii.gz`, chosen by the name) with the volume's geometry
    /// (affine, pixdim, qform/sform and their codes copied, as from a reference image).
    ///
    /// Integer datatypes round to nearest and clamp to the type's range (labels: `.uint8`). No scaling is
    /// stored (`scl_slope = 0`). The file appears atomically: written to a temporary name, then renamed.
    public static func write(_ volume: Volume, to path: String, datatype: NiftiDatatype = .float32, version: Int = 1) throws {
        _ = quiet
        guard path.hasSuffix(".nii") || path.hasSuffix(".nii.gz") else {
            throw MedIOError(path, "output name must end in .nii or .nii.gz")
        }
        guard version == 1 || version == 2 else { throw MedIOError(path, "NIfTI version must be 1 or 2") }
        guard version == 2 || volume.shape.allSatisfy({ $0 <= 32767 }) else {
            throw MedIOError(path, "shape \(volume.shape) exceeds NIfTI-1's 32767 per dimension (write NIfTI-2)")
        }
        if volume.data.contains(where: { !$0.isFinite }) && datatype.integerRange != nil {
            throw MedIOError(path, "NaN/Inf values cannot be written as \(datatype.name)")
        }
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent()
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir.path, isDirectory: &isDir), isDir.boolValue else {
            throw MedIOError(path, "output folder \(dir.path) does not exist")
        }
        guard FileManager.default.isWritableFile(atPath: dir.path) else {
            throw MedIOError(path, "output folder \(dir.path) is not writable")
        }
        let ext = path.hasSuffix(".nii.gz") ? ".nii.gz" : ".nii"
        let tmp = dir.appendingPathComponent(".tmp-\(UUID().uuidString)\(ext)").path  // AtomicWrite.place renames it
        var dims = [Int64](repeating: 1, count: 8)
        dims[0] = Int64(volume.shape.count)
        for (k, s) in volume.shape.enumerated() { dims[k + 1] = Int64(s) }
        guard let nim = nifti_make_new_nim(dims, datatype.rawValue, 1) else {
            throw MedIOError(path, "libnifti could not allocate the image")
        }
        defer { nifti_image_free(nim) }
        guard let raw = nim.pointee.data else { throw MedIOError(path, "libnifti allocated no voxel buffer") }
        fill(raw, volume.data, datatype)
        let g = volume.geometry
        nim.pointee.nifti_type = version == 1 ? NIFTI_FTYPE_NIFTI1_1 : NIFTI_FTYPE_NIFTI2_1
        nim.pointee.dx = g.spacing[0]; nim.pointee.dy = g.spacing[1]; nim.pointee.dz = g.spacing[2]
        nim.pointee.pixdim.1 = g.spacing[0]; nim.pointee.pixdim.2 = g.spacing[1]; nim.pointee.pixdim.3 = g.spacing[2]
        nim.pointee.xyz_units = NIFTI_UNITS_MM
        nim.pointee.scl_slope = 0
        nim.pointee.scl_inter = 0
        // Codes are int16 in NIfTI-1, int32 in NIfTI-2; out-of-range codes (a NIfTI-2 file may hold any int32)
        // are clamped, keeping "present" (> 0) and "absent" (0) apart. libnifti would otherwise switch the
        // output to a NIfTI-2 .hdr/.img pair on its own (found by fuzzing).
        let maxCode = version == 1 ? Int(Int16.max) : Int(Int32.max)
        nim.pointee.qform_code = Int32(min(max(g.qformCode, 0), maxCode))
        nim.pointee.sform_code = Int32(min(max(g.sformCode, 0), maxCode))
        if g.qformCode > 0 {
            var qb = 0.0, qc = 0.0, qd = 0.0, qx = 0.0, qy = 0.0, qz = 0.0, dx = 0.0, dy = 0.0, dz = 0.0, qfac = 1.0
            nifti_dmat44_to_quatern(dmat(g.qform), &qb, &qc, &qd, &qx, &qy, &qz, &dx, &dy, &dz, &qfac)
            nim.pointee.quatern_b = qb; nim.pointee.quatern_c = qc; nim.pointee.quatern_d = qd
            nim.pointee.qoffset_x = qx; nim.pointee.qoffset_y = qy; nim.pointee.qoffset_z = qz
            nim.pointee.qfac = qfac
            nim.pointee.pixdim.0 = qfac
            nim.pointee.qto_xyz = dmat(g.qform)
        }
        if g.sformCode > 0 { nim.pointee.sto_xyz = dmat(g.sform) }
        if version == 1 {
            guard nifti_set_filenames(nim, tmp, 0, 1) == 0 else {
                throw MedIOError(path, "libnifti rejected the output name")
            }
            errno = 0
            nifti_image_write(nim)
            // libnifti does not report a failed write (a full disk leaves a cut-off file): check errno and the size.
            let failedErrno = errno
            let expected = Int(nim.pointee.iname_offset) + Int(nim.pointee.nvox) * Int(nim.pointee.nbyper)
            if let problem = NiftiWriteCheck.problem(tmp, gzip: ext == ".nii.gz", expectedBytes: expected, errno: failedErrno) {
                try? FileManager.default.removeItem(atPath: tmp)
                throw MedIOError(path, problem)
            }
        } else {
            errno = 0
            do { try writeNifti2(nim, to: tmp, gzip: ext == ".nii.gz", reportAs: path) } catch {
                let failedErrno = errno
                try? FileManager.default.removeItem(atPath: tmp)
                if failedErrno == ENOSPC || failedErrno == EDQUOT { throw MedIOError(path, "no space left on device") }
                throw error
            }
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: tmp)[.size] as? Int) ?? nil
        guard let written = size, written > 0 else {
            try? FileManager.default.removeItem(atPath: tmp)
            throw MedIOError(path, "could not write the file (is the folder writable?)")
        }
        do { try AtomicWrite.place(URL(fileURLWithPath: tmp), at: url) } catch let f as AtomicWrite.Failure {
            throw MedIOError(path, f.noSpace ? "no space left on device" : "could not move the written file into place: \(f.reason)")
        }
    }

    // MARK: - Helpers

    /// libnifti 2.1's `nifti_image_write` emits no header for NIfTI-2 single files, so for version 2 the
    /// header comes from libnifti (`nifti_convert_nim2n2hdr`) and SemiSeg writes header, the 4-byte empty
    /// extension flag and the voxels itself (through zlib for `.nii.gz`).
    private static func writeNifti2(_ nim: UnsafeMutablePointer<nifti_image>, to tmp: String, gzip: Bool,
                                    reportAs path: String) throws {
        nim.pointee.iname_offset = 544
        var hdr = nifti_2_header()
        guard nifti_convert_nim2n2hdr(nim, &hdr) == 0 else { throw MedIOError(path, "libnifti could not build a NIfTI-2 header") }
        hdr.vox_offset = 544
        guard let raw = nim.pointee.data else { throw MedIOError(path, "no voxel buffer") }
        var bytes = Data(bytes: &hdr, count: 540)
        bytes.append(contentsOf: [0, 0, 0, 0])
        bytes.append(Data(bytes: raw, count: Int(nim.pointee.nvox) * Int(nim.pointee.nbyper)))
        if gzip {
            guard let gz = gzopen(tmp, "wb6") else { throw MedIOError(path, "could not create the file") }
            let ok = bytes.withUnsafeBytes { b -> Bool in
                guard let base = b.baseAddress else { return false }
                return gzwrite(gz, base, UInt32(b.count)) == Int32(b.count)
            }
            let closed = gzclose(gz) == Z_OK
            guard ok && closed else { throw MedIOError(path, "gzip write failed") }
        } else {
            do { try bytes.write(to: URL(fileURLWithPath: tmp)) } catch {
                throw MedIOError(path, "could not write the file: \(error.localizedDescription)")
            }
        }
    }

    private static func fill(_ raw: UnsafeMutableRawPointer, _ values: [Float], _ dt: NiftiDatatype) {
        let count = values.count
        values.withUnsafeBufferPointer { v in
            func put<T>(_: T.Type, _ f: (Double) -> T) {
                let p = raw.bindMemory(to: T.self, capacity: count)
                if let r = dt.integerRange {
                    for i in 0..<count { p[i] = f(min(max(Double(v[i]).rounded(), r.lowerBound), r.upperBound)) }
                } else {
                    for i in 0..<count { p[i] = f(Double(v[i])) }
                }
            }
            switch dt {
            case .uint8: put(UInt8.self) { UInt8($0) }
            case .int8: put(Int8.self) { Int8($0) }
            case .int16: put(Int16.self) { Int16($0) }
            case .uint16: put(UInt16.self) { UInt16($0) }
            case .int32: put(Int32.self) { Int32($0) }
            case .uint32: put(UInt32.self) { UInt32($0) }
            case .int64: put(Int64.self) { Int64($0) }
            case .uint64: put(UInt64.self) { UInt64($0) }
            case .float32: put(Float.self) { Float($0) }
            case .float64: put(Double.self) { $0 }
            }
        }
    }

    /// Whether a voxel-to-world matrix can be used: every entry finite, the 3x3 part invertible.
    private static func usable(_ a: [[Double]]) -> Bool {
        guard a.allSatisfy({ $0.allSatisfy(\.isFinite) }) else { return false }
        let det = a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1]) - a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0])
            + a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0])
        return det.isFinite && det != 0
    }

    private static func matrix(_ m: nifti_dmat44) -> [[Double]] {
        let rows = [m.m.0, m.m.1, m.m.2, m.m.3]
        return rows.map { [$0.0, $0.1, $0.2, $0.3] }
    }

    private static func dmat(_ a: [[Double]]) -> nifti_dmat44 {
        var m = nifti_dmat44()
        m.m.0 = (a[0][0], a[0][1], a[0][2], a[0][3])
        m.m.1 = (a[1][0], a[1][1], a[1][2], a[1][3])
        m.m.2 = (a[2][0], a[2][1], a[2][2], a[2][3])
        m.m.3 = (a[3][0], a[3][1], a[3][2], a[3][3])
        return m
    }
}
