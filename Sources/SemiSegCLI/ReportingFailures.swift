import ArgumentParser
import Foundation
import MedIO
import Training

/// Runs `body`, turning every known failure into `error: ...` lines on stderr and exit status 1.
func reportingFailures(_ body: () throws -> Void) throws {
    do {
        try reportingBadInput(body)
    } catch let e as MSDValidationError {
        for p in e.problems { printError("error: \(p.file): \(p.problem)") }
        throw ExitCode(1)
    } catch let e as ConfigError {
        for p in e.problems { printError("error: \(p)") }
        throw ExitCode(1)
    } catch let e as SplitError {
        printError("error: \(e.description)"); throw ExitCode(1)
    } catch let e as TrainingError {
        printError("error: \(e.description)"); throw ExitCode(1)
    } catch let e as FolderLock.Busy {
        printError("error: \(e.description)"); throw ExitCode(1)
    } catch let e as TrainingInterrupted {
        // One line, then 128 + signal (130 SIGINT, 143 SIGTERM) as a shell expects of an interrupted command.
        printError("\(e.description); continue with the same command (train: --resume)")
        throw ExitCode(e.exitStatus)
    }
}
