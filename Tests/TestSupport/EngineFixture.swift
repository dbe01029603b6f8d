import DockerEngine
import Foundation
import Testing

/// One test's share of the engine: a unique name prefix (`sptest-<area>-<random>`), a label on
/// everything it creates, and cleanup in reverse order that runs even when the test fails.
///
/// ```swift
/// try await EngineFixture.with(area: "orch") { fixture in
///     let id = try await fixture.sleeper("web", project: fixture.name("p"))   // busybox, removed afterwards
///     let other = try await fixture.engine.createContainer(name: fixture.name("db"), config)
///     fixture.removeContainerLater(other.id)
/// }
/// ```
public final class EngineFixture: @unchecked Sendable {
    // @unchecked: `cleanups` is only touched under `lock`.
    public let engine: DockerEngine.Client
    /// `sptest-<area>-<8 hex>`: prefix every name with it.
    public let prefix: String
    /// `stackpilot.test=<prefix>`: put it on everything, so leftovers can be found by label.
    public static let labelKey = "stackpilot.test"
    public var labels: [String: String] { [Self.labelKey: prefix] }

    private let lock = NSLock()
    private var cleanups: [(String, @Sendable () async -> Void)] = []

    public init(engine: DockerEngine.Client, area: String) {
        self.engine = engine
        self.prefix = "sptest-\(area)-\(String(UInt32.random(in: .min ... .max), radix: 16))"
    }

    /// `<prefix>-<suffix>`.
    public func name(_ suffix: String) -> String { "\(prefix)-\(suffix)" }

    /// Registers an undo step; steps run in reverse order of registration.
    public func onCleanup(_ what: String, _ step: @escaping @Sendable () async -> Void) {
        lock.withLock { cleanups.append((what, step)) }
    }

    public func removeContainerLater(_ id: String) {
        let engine = engine
        self.onCleanup("container \(id)") { try? await engine.removeContainer(id, force: true, volumes: true) }
    }

    public func removeNetworkLater(_ id: String) {
        let engine = engine
        self.onCleanup("network \(id)") { try? await engine.removeNetwork(id) }
    }

    public func removeVolumeLater(_ name: String) {
        let engine = engine
        self.onCleanup("volume \(name)") { try? await engine.removeVolume(name, force: true) }
    }

    public func removeImageLater(_ reference: String) {
        let engine = engine
        self.onCleanup("image \(reference)") { _ = try? await engine.removeImage(reference, force: true) }
    }

    /// The one helper for a test container: a busybox container (`image`, default
    /// `stackpilot-test/busybox`) of this fixture
    /// named `name(name)`, running `command` (an hour's sleep unless told otherwise), stopped with
    /// SIGKILL, labelled with the fixture's label and, given a `project`, as compose labels `service`
    /// of it; started unless `start` is false; removed at cleanup. `networkMode: "none"` keeps it off
    /// the engine's default bridge; `configure` changes the create body further (a healthcheck,
    /// binds, a restart policy). Returns the container's id.
    @discardableResult
    public func sleeper(
        _ name: String = "sleeper", image: String? = nil, project: String? = nil, service: String? = nil, command: [String] = ["sleep", "3600"],
        labels extra: [String: String] = [:], networkMode: String? = nil, start: Bool = true,
        configure: (inout DockerEngine.ContainerConfig) -> Void = { _ in }
    ) async throws -> String {
        let image = if let image { image } else { try await TestImages.busybox(engine) }
        var labels = self.labels
        if let project {
            labels["com.docker.compose.project"] = project
            labels["com.docker.compose.service"] = service ?? name
        }
        labels.merge(extra) { $1 }
        var host = DockerEngine.HostConfig()
        host.networkMode = networkMode
        var config = DockerEngine.ContainerConfig(image: image, cmd: command, labels: labels, hostConfig: host)
        config.stopSignal = "SIGKILL"
        configure(&config)
        let created = try await engine.createContainer(name: self.name(name), config)
        removeContainerLater(created.id)
        if start { try await engine.startContainer(created.id) }
        return created.id
    }

    /// Runs the undo steps, newest first, then removes anything left with this fixture's label.
    public func cleanUp() async {
        let steps = lock.withLock {
            defer { cleanups = [] }; return cleanups
        }
        for (_, step) in steps.reversed() { await step() }
        let filter = DockerEngine.Filters().label("\(Self.labelKey)=\(prefix)")
        for container in (try? await engine.listContainers(all: true, filters: filter)) ?? [] {
            try? await engine.removeContainer(container.id, force: true, volumes: true)
        }
        for network in (try? await engine.listNetworks(filters: filter)) ?? [] {
            try? await engine.removeNetwork(network.id)
        }
        for volume in (try? await engine.listVolumes(filters: filter)) ?? [] {
            try? await engine.removeVolume(volume.name, force: true)
        }
    }

    /// Gives `body` a fixture and cleans up afterwards, whether it returned or threw.
    public static func with<T>(area: String, _ body: (EngineFixture) async throws -> T) async throws -> T {
        let fixture = EngineFixture(engine: try await TestEngine.client(), area: area)
        do {
            let result = try await body(fixture)
            await fixture.cleanUp()
            return result
        } catch {
            await fixture.cleanUp()
            throw error
        }
    }

    /// Polls `condition` every 100 ms until it holds or `timeout` passes (for engine state that
    /// settles asynchronously). Returns whether it held; never used to time anything.
    public static func eventually(timeout: Duration = .seconds(20), _ condition: () async throws -> Bool) async rethrows -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while clock.now < deadline {
            if try await condition() { return true }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return try await condition()
    }
}
