import ArgumentParser
import Foundation
import MedIO

/// `semiseg inspect FILE [--json]`: shape, spacing, affine, datatype and value statistics of a NIfTI file
/// (min/max/mean over finite voxels, and the number of NaN and ±Inf voxels).
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a NIfTI file's shape, spacing (mm), affine (voxel -> RAS+ mm), datatype, min/max/mean over finite voxels and NaN/Inf counts.")

    @Argument(help: "A .nii or .nii.gz file.")
    var file: String

    @Flag(help: "Print one JSON object (shape, spacing, affine, datatype, min, max, mean, nan_count, inf_count).")
    var json = false

    func run() throws {
        try reportingBadInput {
            let f = try Nifti.readFile(file)
            let v = f.volume
            let s = FiniteStatistics(v.data, nonFinite: f.nonFiniteVoxels)
            if json {
                let affine = v.affine.map { "[" + $0.map(jsonNumber).joined(separator: ",") + "]" }.joined(separator: ",")
                print("{\"shape\":[\(v.shape.map(String.init).joined(separator: ","))],"
                      + "\"spacing\":[\(v.spacing.map(jsonNumber).joined(separator: ","))],"
                      + "\"affine\":[\(affine)],\"datatype\":\"\(f.datatype.name)\","
                      + "\"min\":\(s.min.map { jsonNumber(Double($0)) } ?? "null"),\"max\":\(s.max.map { jsonNumber(Double($0)) } ?? "null"),"
                      + "\"mean\":\(s.mean.map(jsonNumber) ?? "null"),\"nan_count\":\(s.nanCount),\"inf_count\":\(s.infCount)}")
            } else {
                print("file:      \(file) (NIfTI-\(f.version))")
                print("shape:     \(v.shape.map(String.init).joined(separator: " x "))  (x, y, z\(v.shape.count == 4 ? ", channel" : ""))")
                print("spacing:   \(v.spacing.map { String(format: "%.4g", $0) }.joined(separator: " x ")) mm")
                print("datatype:  \(f.datatype.name)")
                print("qform/sform codes: \(v.geometry.qformCode)/\(v.geometry.sformCode)")
                print("affine (voxel -> RAS+ mm):")
                for r in v.affine { print("  " + r.map { String(format: "%10.4f", $0) }.joined(separator: " ")) }
                if let lo = s.min, let hi = s.max, let mean = s.mean {
                    print("values:    min \(lo)  max \(hi)  mean \(String(format: "%.6g", mean))  (over \(s.finiteCount) finite voxels)")
                } else {
                    print("values:    no finite voxels")
                }
                let inf = s.infCount > 0 ? " (\(s.positiveInfCount) +Inf, \(s.infCount - s.positiveInfCount) -Inf)" : ""
                print("non-finite: \(s.nanCount) NaN, \(s.infCount) Inf\(inf)" + (s.nanCount + s.infCount > 0 ? "  WARNING: not usable as is" : ""))
            }
        }
    }
}

/// Value statistics that do not let NaN/Inf voxels poison them: min, max and mean over finite values only, and the
/// counts of NaN and infinite voxels.
struct FiniteStatistics {
    var min: Float?, max: Float?, mean: Double?
    var finiteCount = 0, nanCount = 0, infCount = 0, positiveInfCount = 0

    /// `values` as read (non-finite voxels replaced by the reader) and the file's record of its non-finite voxels.
    init(_ values: [Float], nonFinite: NonFiniteVoxels?) {
        var lo = Float.infinity, hi = -Float.infinity, sum = 0.0
        for (i, v) in values.enumerated() {
            if nonFinite?.contains(i) == true { continue }
            if v.isNaN { nanCount += 1; continue }
            if v.isInfinite { infCount += 1; if v > 0 { positiveInfCount += 1 }; continue }
            finiteCount += 1
            lo = Swift.min(lo, v); hi = Swift.max(hi, v); sum += Double(v)
        }
        if let nf = nonFinite { nanCount += nf.nan; infCount += nf.positiveInf + nf.negativeInf; positiveInfCount += nf.positiveInf }
        if finiteCount > 0 { min = lo; max = hi; mean = sum / Double(finiteCount) }
    }
}
