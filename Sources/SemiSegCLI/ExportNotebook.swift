import ArgumentParser
import Foundation
import Reporting

/// `semiseg export-notebook`: a comparison folder as a Jupyter notebook (tables, embedded figures, pandas re-plot).
struct ExportNotebook: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export-notebook",
        abstract: "Export a `semiseg compare` folder as a Jupyter notebook (nbformat 4).",
        discussion: """
        The notebook holds the configuration and split, the results table, the figures of RUN/figures as embedded \
        PNG outputs (rendered first when missing), and Python cells that reload RUN/summary.csv with pandas and \
        re-plot the Dice bars with matplotlib.
        """)

    @Argument(help: "Comparison folder written by `semiseg compare`.") var runFolder: String
    @Option(help: "Notebook file (default: notebooks-export/<RUN folder name>.ipynb).") var out: String?

    func run() throws {
        try reportingFailures {
            let dir = URL(fileURLWithPath: runFolder)
            let name = dir.standardizedFileURL.lastPathComponent
            let target = URL(fileURLWithPath: out ?? "notebooks-export/\(name).ipynb")
            guard target.pathExtension == "ipynb" else { throw CLIError(file: target.path, problem: "the notebook name must end in .ipynb") }
            try NotebookExport.write(compareDirectory: dir, to: target, maps: declaredUncertaintyMaps)
            print("wrote \(target.path)")
        }
    }
}
