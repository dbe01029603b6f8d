import DockerEngine
import Foundation
import Logging
import Prometheus
import PrometheusAPI
import Synchronization
import TestSupport
import Testing

@testable import Supervisor

@Suite("Healer, against the real engine", .serialized, .requiresEngine)
struct HealerIntegrationTests {
    /// A busybox container that turns unhealthy `after` seconds after it starts and stays so
    /// across restarts (the marker file lives in its writable layer).
    static func turnsUnhealthy(
        _ fixture: EngineFixture, image: String, project: String, service: String, after: Int = 2, labels extra: [String: String] = [:],
        networkMode: String? = nil
    ) async throws -> String {
        try await fixture.sleeper(
            service, image: image, project: project, command: ["sh", "-c", "sleep \(after); touch /tmp/fail; exec sleep 3600"],
            labels: extra, networkMode: networkMode
        ) {
            $0.healthcheck = DockerEngine.HealthConfig(
                test: ["CMD-SHELL", "test ! -f /tmp/fail"], interval: .milliseconds(500), timeout: .seconds(1), retries: 1)
        }
    }

    static func healer(
        _ fixture: EngineFixture, project: String, policy: HealPolicy, registry: PrometheusCollectorRegistry,
        onGrafanaStart: @escaping @Sendable () async -> Void = {}
    ) -> Healer {
        Healer(
            engine: fixture.engine,
            configuration: .init(projects: [project], policy: policy, tick: .milliseconds(200)),
            registry: registry, logger: Logger(label: "test.healer"), onGrafanaStart: onGrafanaStart)
    }

    /// The value of the series `name{labels}` in `registry`, read as Prometheus would.
    static func value(_ registry: PrometheusCollectorRegistry, _ name: String, _ labels: [String: String] = [:]) -> Double? {
        let families = (try? ExpositionParser().parse(registry.emitToString())) ?? []
        return families.first { $0.name == name }?.samples.first { $0.labelDictionary == labels }?.value
    }

    /// Runs the healer while `body` runs, then stops it.
    static func whileRunning<T>(_ healer: Healer, _ body: () async throws -> T) async throws -> T {
        let task = Task { try await healer.run() }
        defer { task.cancel() }
        return try await body()
    }

    /// A host directory bind-mounted at /ctl of a container: the test turns the container's
    /// healthcheck red by creating `fail` in it. Removed after the test's containers.
    static func controlDirectory(_ fixture: EngineFixture) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(fixture.name("ctl"))
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        fixture.onCleanup("directory \(directory.path)") { try? FileManager.default.removeItem(at: directory) }
        return directory
    }

    /// A busybox container that is healthy until `control/fail` exists. Its command removes the
    /// marker when it starts, so a restart makes it healthy again (as a restart cures a wedged service).
    static func controlled(
        _ fixture: EngineFixture, image: String, project: String, service: String, control: URL,
        restartPolicy: String? = nil, networkMode: String? = nil
    ) async throws -> String {
        try await fixture.sleeper(
            service, image: image, project: project, command: ["sh", "-c", "rm -f /ctl/fail; exec sleep 3600"],
            networkMode: networkMode
        ) {
            $0.hostConfig?.binds = ["\(control.path):/ctl"]
            if let restartPolicy { $0.hostConfig?.restartPolicy = DockerEngine.RestartPolicy(name: restartPolicy) }
            $0.healthcheck = DockerEngine.HealthConfig(
                test: ["CMD-SHELL", "test ! -f /ctl/fail"], interval: .milliseconds(500), timeout: .seconds(2), retries: 1)
        }
    }

    static func health(_ fixture: EngineFixture, _ id: String) async -> String? {
        try? await fixture.engine.inspectContainer(id).state?.health?.status?.rawValue
    }

    @Test("a container whose healthcheck starts failing is restarted, once, and is healthy again")
    func healthyThenFailingIsRestarted() async throws {
        try await EngineFixture.with(area: "heal") { fixture in
            let image = try await TestImages.busybox(fixture.engine)
            let project = fixture.name("p")
            let control = try Self.controlDirectory(fixture)
            let id = try await Self.controlled(fixture, image: image, project: project, service: "api", control: control)
            let healthy = await EngineFixture.eventually(timeout: .seconds(60)) { await Self.health(fixture, id) == "healthy" }
            try #require(healthy, "the test container never became healthy")
            let startedBefore = try await fixture.engine.inspectContainer(id).state?.startedAt
            let registry = PrometheusCollectorRegistry()
            let healer = Self.healer(
                fixture, project: project,
                policy: HealPolicy(gracePeriod: .seconds(1), initialBackoff: .seconds(2), maxRestarts: 3),
                registry: registry)
            try await Self.whileRunning(healer) {
                let connected = await EngineFixture.eventually(timeout: .seconds(30)) { Self.value(registry, "stackpilot_events_connected") == 1 }
                try #require(connected, "the healer did not connect to the engine's events")
                #expect(healer.snapshot().first { $0.service == "api" }?.health == "healthy")
                // The service wedges: its healthcheck starts failing.
                try Data().write(to: control.appendingPathComponent("fail"))
                let unhealthy = await EngineFixture.eventually(timeout: .seconds(60)) {
                    await Self.health(fixture, id) == "unhealthy" || healer.snapshot().first { $0.service == "api" }?.restarts == 1
                }
                #expect(unhealthy)
                let restarted = await EngineFixture.eventually(timeout: .seconds(60)) { healer.snapshot().first { $0.service == "api" }?.restarts == 1 }
                #expect(restarted, "\(healer.snapshot())")
                let healthyAgain = await EngineFixture.eventually(timeout: .seconds(60)) {
                    guard let state = try? await fixture.engine.inspectContainer(id).state else { return false }
                    return state.health?.status == .healthy && state.startedAt != startedBefore
                }
                #expect(healthyAgain, "the restarted container did not become healthy again")
                // Healthy again for a while: the healer has no reason for a second restart.
                let settled = await EngineFixture.eventually(timeout: .seconds(30)) { healer.snapshot().first { $0.service == "api" }?.health == "healthy" }
                #expect(settled)
            }
            let entry = try #require(healer.snapshot().first { $0.service == "api" })
            #expect(entry.restarts == 1)
            #expect(!entry.givenUp)
            #expect(
                !FileManager.default.fileExists(atPath: control.appendingPathComponent("fail").path), "the restarted container's command removes the marker")
            let series = ["project": project, "service": "api"]
            #expect(Self.value(registry, "stackpilot_heal_restarts_total", series) == 1)
            #expect(Self.value(registry, "stackpilot_heal_given_up", series) == 0)
        }
    }

    @Test("a container whose healthcheck keeps failing is restarted with growing delays up to the cap, then given up on with a metric")
    func restartsThenGivesUp() async throws {
        try await EngineFixture.with(area: "heal") { fixture in
            let image = try await TestImages.busybox(fixture.engine)
            let project = fixture.name("p")
            let id = try await Self.turnsUnhealthy(fixture, image: image, project: project, service: "model-api")
            let registry = PrometheusCollectorRegistry()
            let policy = HealPolicy(gracePeriod: .seconds(1), initialBackoff: .seconds(1), maxBackoff: .seconds(8), maxRestarts: 3, window: .seconds(3600))
            let healer = Self.healer(fixture, project: project, policy: policy, registry: registry)
            let gaveUp = try await Self.whileRunning(healer) {
                await EngineFixture.eventually(timeout: .seconds(90)) {
                    healer.snapshot().first { $0.service == "model-api" }?.givenUp == true
                }
            }
            #expect(gaveUp)
            let entry = try #require(healer.snapshot().first { $0.service == "model-api" })
            #expect(entry.restarts == 3)
            // The healer's own record of its attempts: in order, each gap at least the backoff after
            // the restart before it, and those backoffs grow (1 s, 2 s).
            let times = entry.restartTimes
            let gaps = zip(times.dropFirst(), times).map { $0 - $1 }
            #expect(gaps.count == 2)
            for (index, gap) in gaps.enumerated() {
                let backoff = policy.backoff(afterRestart: index + 1)
                #expect(gap >= backoff, "gap \(index + 1) was \(gap), less than the backoff \(backoff)")
            }
            #expect(policy.backoff(afterRestart: 1) < policy.backoff(afterRestart: 2))
            // The engine saw it started four times: once by us, three times by the healer; it still runs.
            let inspected = try await fixture.engine.inspectContainer(id)
            #expect(inspected.state?.running == true)
            let series = ["project": project, "service": "model-api"]
            #expect(Self.value(registry, "stackpilot_heal_restarts_total", series) == 3)
            #expect(Self.value(registry, "stackpilot_heal_given_up", series) == 1)
        }
    }

    @Test("a container the user stopped, and one labelled io.stackpilot.heal=false, are left alone")
    func leavesStoppedAndOptedOutAlone() async throws {
        try await EngineFixture.with(area: "heal") { fixture in
            let image = try await TestImages.busybox(fixture.engine)
            let project = fixture.name("p")
            let stopped = try await Self.turnsUnhealthy(fixture, image: image, project: project, service: "api", after: 1)
            let optedOut = try await Self.turnsUnhealthy(
                fixture, image: image, project: project, service: "worker", after: 1, labels: ["io.stackpilot.heal": "false"])
            let registry = PrometheusCollectorRegistry()
            let healer = Self.healer(
                fixture, project: project,
                policy: HealPolicy(gracePeriod: .seconds(3), initialBackoff: .seconds(1), maxRestarts: 5),
                registry: registry)
            try await Self.whileRunning(healer) {
                // The user stops `api` while it is unhealthy, inside the grace period.
                let unhealthy = await EngineFixture.eventually(timeout: .seconds(30)) {
                    (try? await fixture.engine.inspectContainer(stopped).state?.health?.status) == .unhealthy
                }
                #expect(unhealthy)
                try await fixture.engine.stopContainer(stopped, timeout: 1)
                // Well past the grace period: the opted-out one is unhealthy and must not be restarted either.
                let optedOutUnhealthy = await EngineFixture.eventually(timeout: .seconds(30)) {
                    (try? await fixture.engine.inspectContainer(optedOut).state?.health?.status) == .unhealthy
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
            let project = fixture.name("p")
            let grafana = try await fixture.sleeper("grafana", project: project, start: false)
            let calls = Mutex(0)
            let registry = PrometheusCollectorRegistry()
            let healer = Self.healer(fixture, project: project, policy: HealPolicy(), registry: registry) {
                calls.withLock { $0 += 1 }
            }
            let called = try await Self.whileRunning(healer) {
                // Let the healer subscribe before the container starts.
                let connected = await EngineFixture.eventually(timeout: .seconds(30)) { Self.value(registry, "stackpilot_events_connected") == 1 }
                try #require(connected, "the healer did not connect to the engine's events")
                try await fixture.engine.startContainer(grafana)
                return await EngineFixture.eventually(timeout: .seconds(20)) { calls.withLock { $0 } >= 1 }
            }
            #expect(called)
            #expect(Self.value(registry, "stackpilot_grafana_reprovisions_total") == 1)
        }
    }
}
