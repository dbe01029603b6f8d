import Foundation

/// Runs a program to its end and hands back its exit status and output: the one helper for tests
/// that compare with another tool (tar, python3, docker-compose, openssl).
public enum Subprocess {
    public struct Result: Sendable {
        public var status: Int32
        /// Standard output, with standard error after it unless `separateErrors` was asked for.
        public var output: String
        /// Standard error when it was kept apart; empty otherwise.
        public var errors: String
    }

    /// Runs `executable` (a path) with `arguments` in `directory`, with `environment` added to this
    /// process's own. Output is read to the end before waiting, so a chatty program cannot block on
    /// a full pipe.
    @discardableResult
    public static func run(
        _ executable: String, _ arguments: [String] = [], in directory: URL? = nil, environment: [String: String] = [:],
        separateErrors: Bool = false
    ) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        let out = Pipe()
        let err = separateErrors ? Pipe() : out
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Standard error on its own thread while standard output is read here: neither pipe can fill up.
        let errors = separateErrors ? ErrorReader(err.fileHandleForReading) : nil
        let output = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus, output: String(decoding: output, as: UTF8.self),
            errors: errors.map { String(decoding: $0.wait(), as: UTF8.self) } ?? "")
    }

    /// Reads a pipe to its end on a thread of its own.
    private final class ErrorReader: @unchecked Sendable {
        // @unchecked: `data` is written once by the reading thread before `done` is signalled, and
        // read only after waiting for it.
        private var data = Data()
        private let done = DispatchSemaphore(value: 0)

        init(_ handle: FileHandle) {
            Thread { [self] in
                data = handle.readDataToEndOfFile()
                done.signal()
            }.start()
        }

        func wait() -> Data {
            done.wait()
            return data
        }
    }
}
