import Foundation
import MedIO
import Training

/// Checks that a teacher run can label the student's cases: same grid, intensities, classes and no test leakage.
enum TeacherCheck {
    /// Every reason the teacher's predictions would not fit the student's preprocessed images (empty = compatible).
    ///
    /// The student's `preprocessing.json` is used when the run folder has one (the CLI writes it before training);
    /// otherwise its `TrainConfig` (in-memory runs).
    static func problems(teacher: TrainedRun, student run: RunContext) -> [String] {
        var p: [String] = []
        let t = teacher.preprocessing
        let studentPrep = try? Preprocessing.load(run.runDirectory.appendingPathComponent("preprocessing.json"))
        let sResize = studentPrep?.resize ?? run.config.resize
        let sSpacing = studentPrep?.spacing ?? run.config.spacing
        let sNorm = studentPrep?.normalization ?? run.config.normalization
        let sClasses = studentPrep?.classes ?? run.config.classes
        let sChannels = studentPrep?.channels ?? run.data.channels
        if t.resize != sResize { p.append("resize differs (teacher \(describe(t.resize)), student \(describe(sResize)))") }
        if t.spacing != sSpacing { p.append("spacing differs (teacher \(describe(t.spacing)), student \(describe(sSpacing)))") }
        if t.normalization != sNorm { p.append("normalization differs (teacher \(t.normalization), student \(sNorm))") }
        if t.classes != sClasses { p.append("classes differ (teacher \(t.classes), student \(sClasses))") }
        if t.channels != sChannels { p.append("image channels differ (teacher \(t.channels), student \(sChannels))") }
        if let s = studentPrep {
            if t.ct != s.ct { p.append("CT intensity statistics differ (the teacher was normalised with other training cases): teacher \(String(describing: t.ct)), student \(String(describing: s.ct))") }
            if t.huWindow != s.huWindow { p.append("HU window differs (teacher \(describe(t.huWindow)), student \(describe(s.huWindow)))") }
        }
        if teacher.config.dims != run.config.dims { p.append("model dimensionality differs (teacher \(teacher.config.model), student \(run.config.model))") }
        // Whole images of any size: TrainedRun pads them to the teacher's divisor (DivisorPadding).
        let test = Set(run.split.test)
        let leaked = (teacher.split.labeled + teacher.split.validation).filter { test.contains($0) }
        if !leaked.isEmpty {
            p.append("the teacher trained or selected its checkpoint on the student's test cases (\(leaked.prefix(3).joined(separator: ", "))\(leaked.count > 3 ? ", ..." : "")); use the same split (--split TEACHER/split.json)")
        }
        return p
    }

    private static func describe<T>(_ v: [T]?) -> String { v.map { "\($0)" } ?? "none" }
}
