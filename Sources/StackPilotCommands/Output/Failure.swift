import ArgumentParser
import Compose
import DockerEngine
import Foundation
import Grafana
import Orchestration

/// An error a command reports to the user: one sentence on stderr and an exit code. Commands
/// throw it (or any error; see `ErrorReporting`) instead of printing and exiting themselves.
public struct CommandFailure: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable {
        /// The operation failed (engine error, a check failed): exit 1.
        case failed
        /// Bad input (usage, an invalid stack file, a bad --host): exit 2. Nothing was changed.
        case badInput
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public init(failed message: String) { self.init(.failed, message) }
    public init(badInput message: String) { self.init(.badInput, message) }

    /// Any error of the libraries as a command failure: the one mapping of errors to exit codes.
    /// Bad input (an invalid stack, Grafana source or host) is `.badInput`; the rest `.failed`.
    public init(_ error: any Error) {
        switch error {
        case let failure as CommandFailure: self = failure
        case let error as ComposeError: self.init(.badInput, error.description)
        case let error as OrchestrationError: self.init(error.isBadInput ? .badInput : .failed, error.description)
        case let error as Grafana.ProvisionError: self.init(error.isBadInput ? .badInput : .failed, error.description)
        case let error as DockerEngine.Error:
            if case .invalidHost = error { self.init(.badInput, error.description) } else { self.init(.failed, error.description) }
        case is CancellationError: self.init(.failed, OrchestrationError.cancelled.description)
        default: self.init(.failed, String(describing: error))
        }
    }

    /// The operation failed and its output already says what (a report with failed items): exit 1,
    /// no further sentence.
    public static let reported = CommandFailure(.failed, "")

    public var exitCode: Int32 { kind == .badInput ? 2 : 1 }
    public var description: String { message }
}

/// Turns any error into one clear sentence and an exit code: 0 ok, 1 failed, 2 bad input.
public enum ErrorReporting {
    public struct Report: Sendable, Equatable {
        public var message: String
        public var exitCode: Int32
        /// Help and version output go to stdout; everything else to stderr.
        public var toStdout: Bool
    }

    public static func report(for error: any Error, command: any ParsableCommand.Type = StackPilot.self) -> Report {
        switch error {
        case is CommandFailure, is ComposeError, is OrchestrationError, is Grafana.ProvisionError, is Grafana.ClientError,
            is DockerEngine.Error, is CancellationError:
            let failure = CommandFailure(error)
            return Report(message: failure.message, exitCode: failure.exitCode, toStdout: false)
        case let exit as ExitCode:
            return Report(message: "", exitCode: exit.rawValue, toStdout: false)
        default:
            // ArgumentParser's own errors (usage, --help, --version, ValidationError, CleanExit).
            let code = StackPilot.exitCode(for: error)
            let message = StackPilot.fullMessage(for: error)
            if code == .success { return Report(message: message, exitCode: 0, toStdout: true) }
            if code == .validationFailure { return Report(message: message, exitCode: 2, toStdout: false) }
            if message.isEmpty { return Report(message: "\(error)", exitCode: code.rawValue, toStdout: false) }
            return Report(message: message, exitCode: code.rawValue, toStdout: false)
        }
    }

    /// Prints the report (errors prefixed `error: `, on stderr) and returns its exit code.
    @discardableResult
    public static func emit(_ report: Report) -> Int32 {
        guard !report.message.isEmpty else { return report.exitCode }
        if report.toStdout {
            print(report.message)
        } else if report.message.hasPrefix("Error: ") || report.message.hasPrefix("Usage: ") || report.message.contains("\nUsage: ") {
            StandardError.line(report.message)
        } else {
            StandardError.line("error: \(report.message)")
        }
        return report.exitCode
    }
}

extension StackPilot {
    /// The entry point. `Sources/stackpilot/main.swift` says `await StackPilot.main()`, which
    /// resolves to this member of the concrete type rather than ArgumentParser's protocol
    /// extensions (Swift ranks the synchronous, concrete member first). ArgumentParser alone would
    /// exit 64 on usage errors and 1 on everything else; this maps errors through
    /// `ErrorReporting`: one sentence on stderr, exit 1 (failed) or 2 (bad input).
    public static func main() {
        Task {
            let code = await execute(nil)
            Foundation.exit(code)
        }
        dispatchMain()
    }

    /// Parses `arguments` (the process's when nil), runs the command, and returns the exit code
    /// after printing any error. Tests call it directly.
    public static func execute(_ arguments: [String]?) async -> Int32 {
        do {
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            return 0
        } catch {
            return ErrorReporting.emit(ErrorReporting.report(for: error))
        }
    }
}
