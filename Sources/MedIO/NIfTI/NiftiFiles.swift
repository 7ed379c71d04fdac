import Foundation

/// NIfTI file names: which files in a folder are images, and the case stem of a file name.
public enum NiftiFiles {
    /// Whether `name` is a NIfTI file (`.nii` or `.nii.gz`) and not macOS metadata (`._*`).
    public static func isNiftiName(_ name: String) -> Bool {
        !name.hasPrefix("._") && (name.hasSuffix(".nii.gz") || name.hasSuffix(".nii"))
    }

    /// The NIfTI file names in `dir`, sorted (empty when the folder cannot be read).
    public static func names(in dir: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).filter(isNiftiName).sorted()
    }

    /// A file name without `.nii.gz` / `.nii` (`spleen_2.nii.gz` -> `spleen_2`).
    public static func stem(_ name: String) -> String {
        if name.hasSuffix(".nii.gz") { return String(name.dropLast(7)) }
        if name.hasSuffix(".nii") { return String(name.dropLast(4)) }
        return name
    }
}
