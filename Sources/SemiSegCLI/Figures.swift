import ArgumentParser
import Foundation
import Reporting

/// `semiseg figures`: (re)renders the PNG figures of a comparison folder into RUN/figures.
struct Figures: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Render the figures of a `semiseg compare` folder into RUN/figures (Dice bars, curves, montages, uncertainty).")

    @Argument(help: "Comparison folder written by `semiseg compare`.") var runFolder: String

    func run() throws {
        try reportingFailures {
            let files = try ComparisonFigures.renderAll(compareDirectory: URL(fileURLWithPath: runFolder), maps: declaredUncertaintyMaps, log: { printError("note: \($0)") })
            for f in files { print("wrote \(f.path)") }
        }
    }
}
