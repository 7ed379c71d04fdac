import ArgumentParser
import Foundation
import MedIO

/// `semiseg inspect FILE [--json]`: shape, spacing, affine, datatype and value statistics of a NIfTI file.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a NIfTI file's shape, spacing (mm), affine (voxel -> RAS+ mm), datatype and min/max/mean.")

    @Argument(help: "A .nii or .nii.gz file.")
    var file: String

    @Flag(help: "Print one JSON object (shape, spacing, affine, datatype, min, max, mean).")
    var json = false

    func run() throws {
        try reportingBadInput {
            let f = try Nifti.readFile(file)
            let v = f.volume
            let s = v.statistics
            if json {
                let affine = v.affine.map { "[" + $0.map(jsonNumber).joined(separator: ",") + "]" }.joined(separator: ",")
                print("{\"shape\":[\(v.shape.map(String.init).joined(separator: ","))],"
                      + "\"spacing\":[\(v.spacing.map(jsonNumber).joined(separator: ","))],"
                      + "\"affine\":[\(affine)],\"datatype\":\"\(f.datatype.name)\","
                      + "\"min\":\(jsonNumber(Double(s.min))),\"max\":\(jsonNumber(Double(s.max))),\"mean\":\(jsonNumber(s.mean))}")
            } else {
                print("file:      \(file) (NIfTI-\(f.version))")
                print("shape:     \(v.shape.map(String.init).joined(separator: " x "))  (x, y, z\(v.shape.count == 4 ? ", channel" : ""))")
                print("spacing:   \(v.spacing.map { String(format: "%.4g", $0) }.joined(separator: " x ")) mm")
                print("datatype:  \(f.datatype.name)")
                print("qform/sform codes: \(v.geometry.qformCode)/\(v.geometry.sformCode)")
                print("affine (voxel -> RAS+ mm):")
                for r in v.affine { print("  " + r.map { String(format: "%10.4f", $0) }.joined(separator: " ")) }
                print("values:    min \(s.min)  max \(s.max)  mean \(String(format: "%.6g", s.mean))")
            }
        }
    }
}
