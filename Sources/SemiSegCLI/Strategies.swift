import ArgumentParser
import Training

/// `semiseg strategies`: lists the registered strategy plugins with their one-line summaries.
struct Strategies: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the registered semi-supervised strategies.")

    func run() throws {
        let width = registeredStrategies.map { $0.name.count }.max() ?? 0
        for s in registeredStrategies {
            print(s.name.padding(toLength: width + 2, withPad: " ", startingAt: 0) + s.summary)
        }
    }
}
