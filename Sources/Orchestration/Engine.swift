import DockerEngine
import Foundation

/// What orchestration needs from a container engine, in DockerEngine's own types. `DockerEngineBackend`
/// implements it with the Docker Engine API (every method maps to one engine call: list/inspect are
/// reads, the rest writes); the tests' `FakeEngine` implements it in memory, with scripted state changes.
public protocol OrchestrationEngine: Sendable {
    /// Containers (all states) labelled with the project; with `nil`, every compose-labelled container.
    func listContainers(project: String?) async throws -> [DockerEngine.ContainerSummary]
    /// Networks carrying the project's label or one of `names`.
    func listNetworks(project: String, names: [String]) async throws -> [DockerEngine.Network]
    /// Volumes carrying the project's label or one of `names`.
    func listVolumes(project: String, names: [String]) async throws -> [DockerEngine.Volume]
    /// The local image ID for a reference, or nil when the image is not present.
    func imageID(_ reference: String) async throws -> String?
    func pullImage(_ reference: String, progress: @escaping @Sendable (DockerEngine.ProgressMessage) -> Void) async throws
    func buildImage(_ reference: String, spec: Orchestration.BuildSpec, output: @escaping @Sendable (String) -> Void) async throws
    func createNetwork(_ network: Orchestration.DesiredNetwork, project: String) async throws
    func createVolume(_ volume: Orchestration.DesiredVolume, project: String) async throws
    /// Creates a container and returns its ID.
    func createContainer(name: String, spec: DockerEngine.ContainerConfig) async throws -> String
    func connectNetwork(_ network: String, container: String, aliases: [String]) async throws
    /// Extracts a tar archive into a (created, not yet started) container at `path`.
    func copyToContainer(id: String, path: String, archive: Data, copyUIDGID: Bool) async throws
    func renameContainer(id: String, to name: String) async throws
    /// Starting a running container is not an error.
    func startContainer(id: String) async throws
    /// Stopping a stopped container is not an error.
    func stopContainer(id: String, timeout: Int?) async throws
    func restartContainer(id: String, timeout: Int?) async throws
    /// Removing what is already gone is not an error (nor for networks and volumes).
    func removeContainer(id: String, force: Bool, volumes: Bool) async throws
    func removeNetwork(name: String) async throws
    func removeVolume(name: String) async throws
    func inspectContainer(id: String) async throws -> DockerEngine.ContainerInspect
    /// The last `lines` lines of the container's output (stdout and stderr together).
    func logTail(id: String, lines: Int) async throws -> [String]
    /// Container events (start, die, health_status...) for the project's containers, from now on.
    func containerEvents(project: String) async throws -> AsyncThrowingStream<DockerEngine.Event, any Error>
}

extension DockerEngine.ContainerSummary {
    /// `io.stackpilot.config-fields` as field -> short hash; nil when the label is absent.
    var fieldHashes: [String: String]? {
        guard let raw = labels?[Orchestration.Labels.fieldHashes] else { return nil }
        var out: [String: String] = [:]
        for pair in raw.split(separator: ",") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { out[String(parts[0])] = String(parts[1]) }
        }
        return out
    }

    /// Engine names of the networks it is connected to; nil when the engine did not say.
    var connectedNetworks: [String]? { networkSettings?.networks.map { Array($0.keys).sorted() } }
}
