import DockerEngine
import Foundation

extension Orchestration {
    /// Details of one container, from the inspect endpoint.
    public struct ContainerDetails: Sendable, Hashable {
        public var id: String
        public var name: String
        public var state: ContainerState
        public var health: HealthState
        public var exitCode: Int
        public var oomKilled: Bool
        public var error: String
        /// Output of the last health probes, newest last.
        public var healthLog: [String]
        public var restartCount: Int
        /// RFC 3339, as the engine reports it.
        public var startedAt: String
        public var labels: [String: String]
        public var imageID: String
        /// "127.0.0.1:9090->9090/tcp" style.
        public var ports: [String]

        public init(id: String, name: String, state: ContainerState, health: HealthState = .none, exitCode: Int = 0, oomKilled: Bool = false, error: String = "", healthLog: [String] = [], restartCount: Int = 0, startedAt: String = "", labels: [String: String] = [:], imageID: String = "", ports: [String] = []) {
            self.id = id
            self.name = name
            self.state = state
            self.health = health
            self.exitCode = exitCode
            self.oomKilled = oomKilled
            self.error = error
            self.healthLog = healthLog
            self.restartCount = restartCount
            self.startedAt = startedAt
            self.labels = labels
            self.imageID = imageID
            self.ports = ports
        }

        /// "exited (1)", "running (unhealthy)", "exited (137, OOMKilled)"...
        public var stateDescription: String {
            switch state {
            case .exited, .dead:
                var s = "\(state.rawValue) (\(exitCode)"
                if oomKilled { s += ", OOMKilled" }
                return s + ")"
            case .running where health != .none:
                return "running (\(health.rawValue))"
            default:
                return state.rawValue
            }
        }
    }

    /// A container event from the engine's events stream.
    public struct ContainerEvent: Sendable, Hashable {
        public var containerID: String
        /// The engine's action: "start", "die", "health_status: healthy", ...
        public var action: String
        public var attributes: [String: String]
        public init(containerID: String, action: String, attributes: [String: String] = [:]) {
            self.containerID = containerID
            self.action = action
            self.attributes = attributes
        }
    }

    /// One progress message of a pull (from the engine's JSON stream).
    public struct PullProgress: Sendable, Hashable {
        public var layer: String?
        public var status: String
        public var current: Int64?
        public var total: Int64?
        public init(layer: String? = nil, status: String, current: Int64? = nil, total: Int64? = nil) {
            self.layer = layer
            self.status = status
            self.current = current
            self.total = total
        }
    }

    /// A line of container output.
    public struct LogLine: Sendable, Hashable {
        public enum Stream: String, Sendable { case stdout, stderr }
        public var stream: Stream
        public var text: String
        public init(stream: Stream, text: String) {
            self.stream = stream
            self.text = text
        }
    }
}

/// What orchestration needs from a container engine. `DockerEngineBackend` implements it with the
/// Docker Engine API; every method maps to one engine call (list/inspect are reads, the rest writes).
public protocol OrchestrationEngine: Sendable {
    /// Containers (all states) labelled with the project; with `nil`, every compose-labelled container.
    func listContainers(project: String?) async throws -> [Orchestration.ObservedContainer]
    /// Networks carrying the project's label or one of `names`.
    func listNetworks(project: String, names: [String]) async throws -> [Orchestration.ObservedNetwork]
    /// Volumes carrying the project's label or one of `names`.
    func listVolumes(project: String, names: [String]) async throws -> [Orchestration.ObservedVolume]
    /// The local image ID for a reference, or nil when the image is not present.
    func imageID(_ reference: String) async throws -> String?
    func pullImage(_ reference: String, progress: @escaping @Sendable (Orchestration.PullProgress) -> Void) async throws
    func buildImage(_ reference: String, spec: Orchestration.BuildSpec, output: @escaping @Sendable (String) -> Void) async throws
    func createNetwork(_ network: Orchestration.DesiredNetwork, project: String) async throws
    func createVolume(_ volume: Orchestration.DesiredVolume, project: String) async throws
    /// Creates a container and returns its ID.
    func createContainer(name: String, spec: DockerEngine.ContainerConfig) async throws -> String
    func connectNetwork(_ network: String, container: String, aliases: [String]) async throws
    /// Extracts a tar archive into a (created, not yet started) container at `path`.
    func copyToContainer(id: String, path: String, archive: Data, copyUIDGID: Bool) async throws
    func renameContainer(id: String, to name: String) async throws
    func startContainer(id: String) async throws
    func stopContainer(id: String, timeout: Int?) async throws
    func restartContainer(id: String, timeout: Int?) async throws
    func removeContainer(id: String, force: Bool, volumes: Bool) async throws
    func removeNetwork(name: String) async throws
    func removeVolume(name: String) async throws
    func inspectContainer(id: String) async throws -> Orchestration.ContainerDetails
    func logTail(id: String, lines: Int) async throws -> [String]
    func logs(id: String, follow: Bool, tail: Int?, timestamps: Bool, since: Int?) async throws -> AsyncThrowingStream<Orchestration.LogLine, any Error>
    /// Container events (start, die, health_status...) for the project's containers, from now on.
    func containerEvents(project: String) async throws -> AsyncThrowingStream<Orchestration.ContainerEvent, any Error>
}
