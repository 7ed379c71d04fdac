import Engine
import Foundation
import SupervisedPlugin
import Testing
import Training

@Suite("Supervised plugin")
struct SupervisedTests {
    @Test func takesNoOptions() {
        #expect(throws: ConfigError.self) { try Supervised(options: StrategyOptions(["x": "1"], owner: "supervised")) }
    }

    @Test func trainsThroughTheTrainerWithoutUnlabeledData() throws {
        let dir = tempRunDir(); defer { try? FileManager.default.removeItem(at: dir) }
        let s = try Supervised(options: StrategyOptions([:], owner: "supervised"))
        #expect(!s.wantsUnlabeledBatch)
        let t = try Trainer(config: toyConfig(dir), strategy: s, data: toyStore(), split: emptySplit, runDirectory: dir, log: { _ in })
        let r = try t.train()
        #expect(r.epochs == 2 && r.bestValidationDice != nil)
    }
}
