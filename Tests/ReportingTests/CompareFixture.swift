import Foundation
import MedIO
import TestSupport
import Training

/// A tiny synthetic `semiseg compare` folder: a 2-case MSD dataset (24x20x3 volumes with a disc), and cells
/// supervised/mc-dropout/checkpoint-ensemble x seeds 0,1 with predictions, uncertainty maps, metrics.csv, summaries.
enum CompareFixture {
    static let strategies = ["supervised", "mc-dropout", "checkpoint-ensemble"]
    static let cases = ["tiny_0.nii.gz", "tiny_1.nii.gz"]
    /// The maps the fixture's mc-dropout cells write, declared as the MC dropout plugin declares them
    /// (`Strategy.uncertaintyMaps`; Reporting does not link the plugins).
    static let maps = [
        UncertaintyMap(name: "mutual_information", caption: "mutual information", unit: "MI (nats)", scale: .nats),
        UncertaintyMap(name: "variance", caption: "probability variance", unit: "variance", scale: .ownMaximum),
        UncertaintyMap(name: "mc_mask_sum", caption: "sum of T masks", unit: "foreground votes", scale: .sampleCount(option: "samples", default: 8)),
    ]

    static func make() throws -> URL {
        let fm = FileManager.default
        let root = fm.temporaryDirectory.appendingPathComponent("reporting-\(UUID().uuidString)")
        let data = root.appendingPathComponent("data"), run = root.appendingPathComponent("run")
        for d in ["imagesTr", "labelsTr", "imagesTs", "labelsTs"] { try fm.createDirectory(at: data.appendingPathComponent(d), withIntermediateDirectories: true) }
        let (nx, ny, nz) = (24, 20, 3)
        let geo = Geometry(spacing: [1, 1, 2])
        func disc(_ r: Double, cx: Double, cy: Double) -> [Float] {
            var v = [Float](repeating: 0, count: nx * ny * nz)
            for z in 0..<nz { for y in 0..<ny { for x in 0..<nx {
                let rr = z == 1 ? r : r * 0.6
                if (Double(x) - cx) * (Double(x) - cx) + (Double(y) - cy) * (Double(y) - cy) <= rr * rr { v[(z * ny + y) * nx + x] = 1 }
            } } }
            return v
        }
        var json = #"{"name":"Tiny","tensorImageSize":"3D","modality":{"0":"CT"},"labels":{"0":"background","1":"organ"},"training":[],"test":["#
        for (i, c) in cases.enumerated() {
            let lab = disc(5 + Double(i), cx: 10, cy: 8)
            let img = lab.enumerated().map { Float($0.element) * 100 + Float($0.offset % 7) * 5 - 50 }
            try Nifti.write(Volume(shape: [nx, ny, nz], data: img, geometry: geo), to: data.appendingPathComponent("imagesTs/\(c)").path)
            try Nifti.write(Volume(shape: [nx, ny, nz], data: lab, geometry: geo), to: data.appendingPathComponent("labelsTs/\(c)").path, datatype: .uint8)
            json += (i > 0 ? "," : "") + "\"./imagesTs/\(c)\""
        }
        try Data((json + "]}").utf8).write(to: data.appendingPathComponent("dataset.json"))
        // The JSON through the real types (CompareFolderWriter); Dice of case i = 0.7 + 0.1 * strategy - 0.2 * i +
        // 0.02 * seed, so tiny_1 is the harder case and each seed's foreground mean is 0.6 + 0.1 * strategy + 0.02 * seed.
        let split = DataSplit(seed: 0, labeled: ["a.nii.gz", "b.nii.gz"], unlabeled: ["c.nii.gz"], validation: ["d.nii.gz"], test: cases)
        try CompareFolderWriter.write(run: run, data: data.path, strategies: strategies, seeds: [0, 1], split: split,
                                      strategyOptions: ["mc-dropout": ["samples": "8"]],
                                      dice: { s, seed, i in 0.7 + 0.1 * Double(strategies.firstIndex(of: s) ?? 0) - 0.2 * Double(i) + 0.02 * Double(seed) }) { s, _, cell in
            let si = strategies.firstIndex(of: s) ?? 0
            let unc = cell.appendingPathComponent("predictions/uncertainty")
            try fm.createDirectory(at: unc, withIntermediateDirectories: true)
            var m = "epoch,loss,supervised_loss,lr,val_dice,seconds\n"
            for e in 1...3 { m += "\(e),\(1.0 / Double(e + si)),\(0.9 / Double(e)),0.001,\(e == 2 ? "" : String(0.5 + 0.1 * Double(e + si))),1.0\n" }
            try Data(m.utf8).write(to: cell.appendingPathComponent("metrics.csv"))
            for (i, c) in cases.enumerated() {
                let pred = disc(4 + Double(i) + Double(si), cx: 11, cy: 8)
                try Nifti.write(Volume(shape: [nx, ny, nz], data: pred, geometry: geo), to: cell.appendingPathComponent("predictions/\(c)").path, datatype: .uint8)
                let stem = String(c.dropLast(7))
                let ring = disc(6, cx: 11, cy: 8).enumerated().map { $0.element - pred[$0.offset] }.map { abs($0) * 0.6 }
                var maps = ["entropy": ring]
                if s == "mc-dropout" { maps["variance"] = ring.map { $0 * 0.1 }; maps["mutual_information"] = ring.map { $0 * 0.3 }; maps["mc_mask_sum"] = pred.map { $0 * 8 } }
                if s == "checkpoint-ensemble" { maps["disagreement"] = ring; maps["variance"] = ring.map { $0 * 0.05 } }
                for (k, v) in maps { try Nifti.write(Volume(shape: [nx, ny, nz], data: v, geometry: geo), to: unc.appendingPathComponent("\(stem)_\(k).nii.gz").path) }
            }
        }
        return run
    }
}
