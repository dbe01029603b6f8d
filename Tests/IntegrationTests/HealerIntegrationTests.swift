import DockerEngine
import Foundation
import Logging
import Prometheus
import Synchronization
import Testing
@testable import Supervisor

@Suite("Healer, against the real engine", .serialized, .requiresEngine)
struct HealerIntegrationTests {
    /// A busybox container that turns unhealthy `after` seconds after it starts and stays so
    /// across restarts (the marker file lives in its writable layer).
    static func turnsUnhealthy(_ fixture: EngineFixture, image: String, project: String, service: String, after: Int = 2, labels extra: [String: String] = [:]) async throws -> String {
        var config = DockerEngine.ContainerConfig(
            image: image, cmd: ["sh", "-c", "sleep \(after); touch /tmp/fail; exec sleep 3600"],
            labels: fixture.labels.merging(["com.docker.compose.project": project, "com.docker.compose.service": service]) { $1 }.merging(extra) { $1 })
        config.healthcheck = DockerEngine.HealthConfig(test: ["CMD-SHELL", "test ! -f /tmp/fail"], interval: .milliseconds(500), timeout: .seconds(1), retries: 1)
        config.stopSignal = "SIGKILL"
        let created = try await fixture.engine.createContainer(name: fixture.name(service), config)
        fixture.removeContainerLater(created.id)
        try await fixture.engine.startContainer(created.id)
        return created.id
    }

    static func healer(_ fixture: EngineFixture, project: String, policy: HealPolicy, registry: PrometheusCollectorRegistry,
                       onGrafanaStart: @escaping @Sendable () async -> Void = {}) -> Healer {
        Healer(engine: fixture.engine,
               configuration: .init(projects: [project], policy: policy, tick: .milliseconds(200)),
               registry: registry, logger: Logger(label: "test.healer"), onGrafanaStart: onGrafanaStart)
    }

    /// Runs the healer while `body` runs, then stops it.
    static func whileRunning<T>(_ healer: Healer, _ body: () async throws -> T) async throws -> T {
        let task = Task { try await healer.run() }
        defer { task.cancel() }
        return try await body()
    }

    @Test("a container whose healthcheck keeps failing is restarted up to the cap, then given up on with a metric")
    func restartsThenGivesUp() async throws {
        try await EngineFixture.with(area: "heal") { fixture in
            let image = try await TestImages.busybox(fixture.engine)
            let project = fixture.name("p")
            let id = try await Self.turnsUnhealthy(fixture, image: image, project: project, service: "model-api")
            let registry = PrometheusCollectorRegistry()
            let healer = Self.healer(fixture, project: project,
                                     policy: HealPolicy(gracePeriod: .seconds(1), initialBackoff: .seconds(1), maxBackoff: .seconds(4), maxRestarts: 2, window: .seconds(3600)),
                                     registry: registry)
            let gaveUp = try await Self.whileRunning(healer) {
                await EngineFixture.eventually(timeout: .seconds(60)) {
                    healer.snapshot().first { $0.service == "model-api" }?.givenUp == true
                }
            }
            #expect(gaveUp)
            let entry = try #require(healer.snapshot().first { $0.service == "model-api" })
            #expect(entry.restarts == 2)
            // The engine saw it started three times: once by us, twice by the healer.
            let inspected = try await fixture.engine.inspectContainer(id)
            #expect(inspected.state?.running == true)
            let metrics = registry.emitToString()
            #expect(metrics.contains(#"stackpilot_heal_restarts_total{project="\#(project)",service="model-api"} 2"#))
            #expect(metrics.contains(#"stackpilot_heal_given_up{project="\#(project)",service="model-api"} 1"#))
        }
    }

    @Test("a container the user stopped, and one labelled io.stackpilot.heal=false, are left alone")
    func leavesStoppedAndOptedOutAlone() async throws {
        try await EngineFixture.with(area: "heal") { fixture in
            let image = try await TestImages.busybox(fixture.engine)
            let project = fixture.name("p")
            let stopped = try await Self.turnsUnhealthy(fixture, image: image, project: project, service: "api", after: 1)
            let optedOut = try await Self.turnsUnhealthy(fixture, image: image, project: project, service: "worker", after: 1, labels: ["io.stackpilot.heal": "false"])
            let registry = PrometheusCollectorRegistry()
            let healer = Self.healer(fixture, project: project,
                                     policy: HealPolicy(gracePeriod: .seconds(3), initialBackoff: .seconds(1), maxRestarts: 5),
                                     registry: registry)
            try await Self.whileRunning(healer) {
                // The user stops `api` while it is unhealthy, inside the grace period.
                let unhealthy = await EngineFixture.eventually(timeout: .seconds(30)) {
                    (try? await fixture.engine.inspectContainer(stopped).state?.health?.status) == "unhealthy"
                }
                #expect(unhealthy)
                try await fixture.engine.stopContainer(stopped, timeout: 1)
                // Well past the grace period: the opted-out one is unhealthy and must not be restarted either.
                let optedOutUnhealthy = await EngineFixture.eventually(timeout: .seconds(30)) {
                    (try? await fixture.engine.inspectContainer(optedOut).state?.health?.status) == "unhealthy"
                }
                #expect(optedOutUnhealthy)
                try await Task.sleep(for: .seconds(6))
            }
            #expect(try await fixture.engine.inspectContainer(stopped).state?.running == false)
            #expect(healer.snapshot().allSatisfy { $0.restarts == 0 })
            #expect(!registry.emitToString().contains("stackpilot_heal_restarts_total{"))
        }
    }

    @Test("the Grafana service's container starting again triggers re-provisioning")
    func grafanaStartReprovisions() async throws {
        try await EngineFixture.with(area: "heal") { fixture in
            let image = try await TestImages.busybox(fixture.engine)
            let project = fixture.name("p")
            let config = DockerEngine.ContainerConfig(
                image: image, cmd: ["sleep", "3600"],
                labels: fixture.labels.merging(["com.docker.compose.project": project, "com.docker.compose.service": "grafana"]) { $1 })
            let created = try await fixture.engine.createContainer(name: fixture.name("grafana"), config)
            fixture.removeContainerLater(created.id)
            let calls = Mutex(0)
            let registry = PrometheusCollectorRegistry()
            let healer = Self.healer(fixture, project: project, policy: HealPolicy(), registry: registry) {
                calls.withLock { $0 += 1 }
            }
            let called = try await Self.whileRunning(healer) {
                // Let the healer subscribe before the container starts.
                _ = await EngineFixture.eventually(timeout: .seconds(10)) { registry.emitToString().contains("stackpilot_events_connected 1") }
                try await fixture.engine.startContainer(created.id)
                return await EngineFixture.eventually(timeout: .seconds(20)) { calls.withLock { $0 } >= 1 }
            }
            #expect(called)
            #expect(registry.emitToString().contains("stackpilot_grafana_reprovisions_total 1"))
        }
    }
}
