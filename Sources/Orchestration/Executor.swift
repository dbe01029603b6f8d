import DockerEngine
import Foundation
import Logging
import Synchronization

extension Orchestration {
    /// Runs plans against an engine. One file per verb: `Executor+Up.swift` (up, with the waits of
    /// `Readiness.swift`), `Executor+Down.swift`, `Executor+Restart.swift`, `Executor+Status.swift`.
    public struct Executor: Sendable {
        public var engine: any OrchestrationEngine
        public var logger: Logger
        public var progress: @Sendable (ProgressEvent) -> Void
        /// How many log lines a failure message carries.
        public var logTailLines = 10
        /// How long a health wait may go without an event before it inspects again anyway.
        public var pollFallback: Duration = .seconds(2)
        /// Names of containers created during this executor's runs, by ID (for messages).
        let created = Locked<[String: String]>([:])

        public init(
            engine: any OrchestrationEngine, logger: Logger = Logger(label: "stackpilot.orchestration"),
            progress: @escaping @Sendable (ProgressEvent) -> Void = { _ in }
        ) {
            self.engine = engine
            self.logger = logger
            self.progress = progress
        }

        // MARK: observe

        /// Reads what exists for `project`: its containers, networks, volumes and the local images it uses.
        public func observe(_ project: DesiredProject) async throws(OrchestrationError) -> ObservedState {
            let engine = self.engine
            do {
                async let containers = engine.listContainers(project: project.name)
                async let networks = engine.listNetworks(project: project.name, names: project.networks.map(\.name))
                async let volumes = engine.listVolumes(project: project.name, names: project.volumes.map(\.name))
                let refs = Array(Set(project.services.map(\.image)))
                let images = try await withThrowingTaskGroup(of: (String, String?).self) { group in
                    for ref in refs { group.addTask { (ref, try await engine.imageID(ref)) } }
                    var out: [String: String] = [:]
                    for try await (ref, id) in group { if let id { out[ref] = id } }
                    return out
                }
                return try await ObservedState(containers: containers, networks: networks, volumes: volumes, images: images)
            } catch {
                throw Self.wrap(error, operation: "observe", target: "project \(project.name)")
            }
        }

        // MARK: helpers

        /// Reports a step started, runs `body`, then reports it done, or failed with the error `failure`
        /// makes of what was thrown (by default: wrapped as `operation` on `target`); the one way every
        /// verb says what it does and collects what went wrong.
        func reported<T: Sendable>(
            _ event: (ProgressEvent.Status) -> ProgressEvent, operation: String, target: String,
            failure: ((any Error) -> (shown: String, error: OrchestrationError))? = nil,
            _ body: () async throws -> T
        ) async -> Result<T, OrchestrationError> {
            progress(event(.started))
            do {
                let value = try await body()
                progress(event(.done))
                return .success(value)
            } catch {
                let (shown, e) =
                    failure?(error)
                    ?? {
                        let e = Self.wrap(error, operation: operation, target: target)
                        return (e.description, e)
                    }()
                progress(event(.failed(shown)))
                return .failure(e)
            }
        }

        /// Throws the errors collected from steps that went on after a failure: none, one, or `.multiple`.
        static func throwCollected(_ errors: [OrchestrationError]) throws(OrchestrationError) {
            if errors.count == 1 { throw errors[0] }
            if !errors.isEmpty { throw .multiple(errors) }
        }

        /// The outcome of `body` as a value, so a concurrent read can be awaited later without throwing early.
        static func capture<T: Sendable>(_ body: @Sendable () async throws -> T) async -> Result<T, any Error> {
            do { return .success(try await body()) } catch { return .failure(error) }
        }

        /// Runs an undo step to the end even when the calling task is cancelled (an interrupted
        /// recreate must still put things back).
        static func evenIfCancelled<T: Sendable>(_ body: @escaping @Sendable () async -> T) async -> T {
            await Task.detached { await body() }.value
        }

        static func checkCancelled() throws(OrchestrationError) {
            if Task.isCancelled { throw .cancelled }
        }

        static func message(of error: any Error) -> String {
            if let e = error as? LocalizedError, let d = e.errorDescription { return d }
            return String(describing: error)
        }

        static func wrap(_ error: any Error, operation: String, target: String) -> OrchestrationError {
            if let e = error as? OrchestrationError { return e }
            if error is CancellationError { return .cancelled }
            return .engine(operation: operation, target: target, message: EngineErrorExplanation.annotate(message(of: error)))
        }
    }

    /// Shares one wait per (dependency, condition) between all the services that wait on it.
    actor ConditionGate {
        private var tasks: [String: Task<Void, any Error>] = [:]

        func wait(key: String, _ body: @escaping @Sendable () async throws -> Void) async throws {
            let task: Task<Void, any Error>
            if let existing = tasks[key] {
                task = existing
            } else {
                task = Task { try await body() }
                tasks[key] = task
            }
            try await withTaskCancellationHandler {
                try await task.value
            } onCancel: {
                task.cancel()
            }
        }
    }

    /// A value behind a mutex, shareable between tasks (a class so closures can capture it).
    final class Locked<Value: Sendable>: Sendable {
        private let mutex: Mutex<Value>
        init(_ value: Value) { mutex = Mutex(value) }
        func withLock<R: Sendable>(_ body: (inout Value) -> R) -> R { mutex.withLock { body(&$0) } }
    }
}
