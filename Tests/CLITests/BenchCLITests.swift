import Foundation
import Testing

/// `semiseg bench --sliding` / `--mc-samples`: bad values give one error line and exit 1 before any network runs.
/// The binary, not in-process: `bench` sets process-wide kernel choices (`ConvKernels.algorithm`, the profiler) that
/// the engine tests running beside it set for themselves.
@Suite("bench inference options CLI")
struct BenchCLITests {
    @Test func slidingAndMCDropoutRejectBadOptions() throws {
        let short = try CLI.runBinary(["bench", "--sliding", "96,384"])
        #expect(short.status == 1 && short.stderr.hasPrefix("error: bench: --sliding must be three positive integers D,H,W"), "\(short.stderr)")
        let zero = try CLI.runBinary(["bench", "--net", "unet3d-s8", "--sliding", "0,64,64"])
        #expect(zero.status == 1 && zero.stderr.contains("three positive integers"), "\(zero.stderr)")
        let flat = try CLI.runBinary(["bench", "--net", "unet2d-s16", "--sliding", "64,128,128"])
        #expect(flat.status == 1 && flat.stderr.hasPrefix("error: bench: --sliding needs a 3D network"), "\(flat.stderr)")
        let samples = try CLI.runBinary(["bench", "--mc-samples", "0"])
        #expect(samples.status == 1 && samples.stderr.hasPrefix("error: bench: --mc-samples must be >= 1"), "\(samples.stderr)")
    }
}
