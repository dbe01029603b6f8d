import ArgumentParser
import Compose
import DockerEngine
import Foundation
import Logging
import Orchestration
import Synchronization

extension Flags {
    /// Which stacks a command acts on: `-f FILE...` (any compose file, as docker compose), `-p NAME`
    /// alone (a project by its labels, e.g. one started by docker compose), or, by default, every
    /// stack of the manifest in order.
    public struct Stacks: ParsableArguments, Sendable {
        @Option(name: [.customShort("f"), .customLong("file")], help: "Compose file; repeat to merge (later files override earlier ones).")
        public var files: [String] = []

        @Option(name: [.customShort("p"), .customLong("project-name")], help: "Project name (default: COMPOSE_PROJECT_NAME, name:, directory).")
        public var projectName: String?

        @Option(name: .customLong("project-directory"), help: "Project directory (default: the first file's directory).")
        public var projectDirectory: String?

        @Option(name: .customLong("env-file"), help: "Env file for interpolation instead of <project directory>/.env (repeatable).")
        public var envFiles: [String] = []

        @Option(name: .customLong("profile"), help: "Enable a profile (repeatable; also COMPOSE_PROFILES).")
        public var profiles: [String] = []

        @OptionGroup public var manifestPath: Flags.ManifestPath

        /// `--manifest`, used without -f.
        public var manifest: String? { manifestPath.path }

        public init() {}
    }
}

/// One stack a command acts on.
struct StackTarget: Sendable {
    var projectName: String
    /// Known when the compose file was loaded; nil for `-p NAME` alone.
    var desired: Orchestration.DesiredProject?
    var compose: ComposeProject?
}

extension Flags.Stacks {
    /// Loads the stacks to act on. An invalid file is bad input (exit 2) and reaches no engine.
    /// `names`: stacks of the manifest to keep (all when empty).
    func targets(names: [String] = [], requireFiles: Bool = false) throws(CommandFailure) -> (targets: [StackTarget], manifest: Manifest?) {
        var logger = Logger(label: "stackpilot.compose")
        logger.logLevel = .critical
        let loader = ComposeLoader(logger: logger)
        do {
            if !files.isEmpty {
                let project = try loader.load(
                    ComposeLoadOptions(files: files, projectName: projectName, projectDirectory: projectDirectory, envFiles: envFiles, profiles: profiles))
                for w in project.warnings { StandardError.line("warning: \(w)") }
                return ([StackTarget(projectName: project.name, desired: Orchestration.DesiredProject(compose: project), compose: project)], nil)
            }
            if let projectName, !requireFiles {
                return ([StackTarget(projectName: Orchestration.Naming.normaliseProjectName(projectName), desired: nil, compose: nil)], nil)
            }
            let path = Manifest.locate(explicit: manifest)
            guard FileManager.default.fileExists(atPath: path) else {
                throw CommandFailure(
                    badInput: "no compose file given (-f) and no manifest at \(path); run from the repository root, or pass -f FILE or --manifest PATH")
            }
            let m = try Manifest.load(path: path)
            let known = m.deployment.map(\.project)
            for n in names where !known.contains(n) {
                throw CommandFailure(badInput: "no stack named '\(n)' in \(path) (stacks: \(known.joined(separator: ", ")))")
            }
            let projects = try m.loadProjects(loader: loader, envFiles: envFiles)
            var out: [StackTarget] = []
            for p in projects where names.isEmpty || names.contains(p.name) {
                for w in p.warnings { StandardError.line("warning: \(w)") }
                out.append(StackTarget(projectName: p.name, desired: Orchestration.DesiredProject(compose: p), compose: p))
            }
            return (out, m)
        } catch let failure as CommandFailure {
            throw failure
        } catch let error as ComposeError {
            throw CommandFailure(badInput: error.description)
        } catch {
            throw CommandFailure(badInput: String(describing: error))
        }
    }
}

/// The engine connection every stack command uses.
struct StackEngine {
    let client: DockerEngine.Client
    let backend: Orchestration.DockerEngineBackend
    let isLocal: Bool

    init(_ flags: Flags.Engine) throws(CommandFailure) {
        client = try flags.makeClient()
        backend = Orchestration.DockerEngineBackend(client: client)
        if case .unixSocket = client.endpoint.address { isLocal = true } else { isLocal = false }
    }

    /// Negotiates the API version with one `/_ping` before a command's first concurrent requests
    /// (which would otherwise each ping). An engine that does not answer is reported by the request
    /// that follows, as before.
    func negotiate() async {
        _ = try? await client.apiVersion()
    }
}

/// Runs `body` so that Ctrl-C (SIGINT) and SIGTERM (a timeout, CI cancelling the job, systemd
/// stopping the unit) cancel it cleanly: the current engine calls end, nothing new starts, and the
/// next run converges from what was left. A second signal exits at once. When a signal stopped
/// the body, the exit code is the shell's 128 + the signal (130, 143), after the error sentence.
func withInterruptCancellation<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
    let task = Task { try await body() }
    let received = InterruptCounter()
    let sources = InterruptCounter.signals.map { number in
        signal(number, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
        source.setEventHandler {
            if received.record(number) > 1 { exit(128 + number) }
            StandardError.line(InterruptCounter.notice(for: number))
            task.cancel()
        }
        source.resume()
        return source
    }
    defer {
        for source in sources { source.cancel() }
        for number in InterruptCounter.signals { signal(number, SIG_DFL) }
    }
    do {
        return try await task.value
    } catch {
        guard let number = received.first else { throw error }
        StandardError.line("error: \(stackFailure(error).message)")
        throw ExitCode(128 + number)
    }
}

/// The signals a stack command stops cleanly on, and which of them arrived.
final class InterruptCounter: Sendable {
    static let signals: [Int32] = [SIGINT, SIGTERM]

    private let state = Mutex<(count: Int, first: Int32?)>((0, nil))

    /// Counts a signal; returns how many arrived so far.
    func record(_ number: Int32) -> Int {
        state.withLock { s in
            s.count += 1
            if s.first == nil { s.first = number }
            return s.count
        }
    }

    /// The first signal that arrived, if any.
    var first: Int32? { state.withLock { $0.first } }

    static func notice(for number: Int32) -> String {
        number == SIGINT
            ? "interrupted: stopping cleanly (Ctrl-C again to quit at once)"
            : "terminated (SIGTERM): stopping cleanly (a second signal quits at once)"
    }
}

/// Any error of a stack command as a command failure (orchestration errors keep their exit code).
func stackFailure(_ error: any Error) -> CommandFailure { CommandFailure(error) }
