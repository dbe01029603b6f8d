import Compose
import DockerEngine
import EngineProxy
import Foundation
import HTTPTransport
import Logging
import Prometheus
import TestSupport
import Testing

@testable import StackPilotCommands
@testable import Supervisor

/// The exporter and engine-proxy services exactly as stacks/monitoring.yml configures them (their
/// command, user, capabilities, environment, volumes), checked against the real engine: the
/// exporter heals the manifest's stacks (issue 16, item 7) as a non-root user that reaches the
/// engine only through the proxy (item 6).
@Suite("the exporter as stacks/monitoring.yml configures it", .serialized, .requiresEngine, .timeLimit(.minutes(30)))
struct ExporterDeploymentTests {
    struct Services {
        var proxy: ServiceConfig
        var exporter: ServiceConfig
    }

    /// The two services of the repository's monitoring.yml, with the shipped defaults.
    static func services() throws -> Services {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sptest-exporter-env-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let empty = directory.appendingPathComponent("empty.env").path
        try Data().write(to: URL(fileURLWithPath: empty))
        let manifest = LocalImages.repositoryRoot.appendingPathComponent("stacks/stackpilot.yml").path
        let monitoring = try #require(try Manifest.load(path: manifest).loadProjects(environment: [:], envFiles: [empty]).first)
        return Services(proxy: try #require(monitoring.service(named: "engine-proxy")), exporter: try #require(monitoring.service(named: "exporter")))
    }

    /// The exporter's arguments for a test: its own listen address, the test's project healed with
    /// a 1 s grace instead of the manifest's stacks (the manifest's paths are the container's), no doctor.
    static func exporterArguments(_ command: [String], project: String, listen: String) -> [String] {
        var arguments: [String] = []
        var iterator = command.dropFirst().makeIterator()
        while let argument = iterator.next() {
            switch argument {
            case "--manifest": _ = iterator.next()
            case "--listen": _ = iterator.next(); arguments += ["--listen", listen]
            case "--watch-dashboards": continue
            default: arguments.append(argument)
            }
        }
        return arguments + ["--project", project, "--heal-grace", "1", "--doctor-interval", "0"]
    }

    @Test("supervise with the exporter service's command and environment heals an unhealthy container through a proxy with the engine-proxy service's policy")
    func healsThroughProxy() async throws {
        let services = try Self.services()
        let proxyArguments = Array(try #require(services.proxy.command).dropFirst())
        let proxyCommand = try StackPilot.EngineProxyCommand.parse(proxyArguments)
        #expect(proxyCommand.policy.allowRestart, "healing needs the restart call")
        // The exporter's DOCKER_HOST is the proxy's socket, in the volume both mount.
        #expect(services.exporter.environment["DOCKER_HOST"] == proxyCommand.listen)
        try await EngineFixture.with(area: "exporter") { fixture in
            let image = try await TestImages.busybox(fixture.engine)
            let project = fixture.name("p")
            let control = try HealerIntegrationTests.controlDirectory(fixture)
            let id = try await HealerIntegrationTests.controlled(fixture, image: image, project: project, service: "api", control: control, networkMode: "none")
            let healthy = await EngineFixture.eventually(timeout: .seconds(60)) { await HealerIntegrationTests.health(fixture, id) == "healthy" }
            try #require(healthy, "the test container never became healthy")
            let startedBefore = try await fixture.engine.inspectContainer(id).state?.startedAt
            try await EngineProxyIntegrationTests.withProxy(fixture, policy: proxyCommand.policy) { _, socket in
                let arguments = Self.exporterArguments(try #require(services.exporter.command), project: project, listen: "127.0.0.1:0")
                let supervise = try StackPilot.Supervise.parse(arguments)
                var environment = services.exporter.environment
                environment["DOCKER_HOST"] = "unix://\(socket)"
                let client = try supervise.engine.makeClient(environment: environment)
                let registry = PrometheusCollectorRegistry()
                let built = try supervise.supervisionServices(
                    engine: client, registry: registry, logger: Logger(label: "test.supervise"), environment: environment)
                let healer = try #require(built.compactMap { $0 as? Healer }.first, "supervise built no healer from \(arguments)")
                try await HealerIntegrationTests.whileRunning(healer) {
                    let connected = await EngineFixture.eventually(timeout: .seconds(30)) {
                        HealerIntegrationTests.value(registry, "stackpilot_events_connected") == 1
                    }
                    try #require(connected, "the healer did not get the engine's events through the proxy")
                    try Data().write(to: control.appendingPathComponent("fail"))
                    let restarted = await EngineFixture.eventually(timeout: .seconds(90)) { healer.snapshot().first { $0.service == "api" }?.restarts == 1 }
                    #expect(restarted, "\(healer.snapshot())")
                    let healthyAgain = await EngineFixture.eventually(timeout: .seconds(60)) {
                        guard let state = try? await fixture.engine.inspectContainer(id).state else { return false }
                        return state.health?.status == .healthy && state.startedAt != startedBefore
                    }
                    #expect(healthyAgain, "the restarted container did not become healthy again")
                }
                #expect(HealerIntegrationTests.value(registry, "stackpilot_heal_restarts_total", ["project": project, "service": "api"]) == 1)
            }
        }
    }

    /// `/proc/<pid>/status`'s `Uid:` line: real, effective, saved and file-system user ids.
    static func userIDs(pid: Int) throws -> [String] {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("Uid:") })
        return line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().map(String.init)
    }

    /// A container of `service` as compose would create it, in the test's names; named volumes
    /// become `volume`; bind mounts are left out (their sources are this checkout's paths, which
    /// the engine may not see under the same names).
    static func container(
        _ fixture: EngineFixture, _ service: ServiceConfig, image: String, command: [String], volume: String,
        environment: [String: String] = [:]
    ) async throws -> String {
        var host = DockerEngine.HostConfig()
        host.binds = service.volumes.compactMap { mount in
            switch mount.type {
            case .volume: "\(volume):\(mount.target)\(mount.readOnly ? ":ro" : "")"
            case .bind where mount.source == "/var/run/docker.sock": "/var/run/docker.sock:\(mount.target)"
            default: nil
            }
        }
        host.capDrop = service.capDrop
        host.readonlyRootfs = service.readOnly
        host.securityOpt = service.securityOpt
        // Not the stack's network: the exporter reaches the engine by the socket, and its
        // healthcheck by loopback; nothing is published.
        host.networkMode = service.networkMode ?? "none"
        host.pidMode = service.pid
        var config = DockerEngine.ContainerConfig(
            image: image, cmd: command,
            env: service.environment.merging(environment) { $1 }.map { "\($0.key)=\($0.value)" }.sorted(),
            labels: fixture.labels, hostConfig: host)
        config.user = service.user
        let test = try #require(service.healthcheck?.test, "\(service.name) has no healthcheck")
        config.healthcheck = DockerEngine.HealthConfig(test: test, interval: .milliseconds(500), timeout: .seconds(3), retries: 120)
        config.stopSignal = "SIGTERM"
        let created = try await fixture.engine.createContainer(name: fixture.name(service.name), config)
        fixture.removeContainerLater(created.id)
        try await fixture.engine.startContainer(created.id)
        return created.id
    }

    @Test("deployed from the local image: the exporter runs as a non-root user without the Docker socket, answers healthy through engine-proxy, and heals")
    func deployed() async throws {
        try LocalImages.ensure(["stackpilot"])
        let services = try Self.services()
        try await EngineFixture.with(area: "exporter") { fixture in
            let image = LocalImages.tag("stackpilot")
            let volume = fixture.name("engine")
            _ = try await fixture.engine.createVolume(.init(name: volume, labels: fixture.labels))
            fixture.removeVolumeLater(volume)
            let proxy = try await Self.container(fixture, services.proxy, image: image, command: try #require(services.proxy.command), volume: volume)
            let proxyHealthy = try await EngineFixture.eventually(timeout: .seconds(60)) {
                try await fixture.engine.inspectContainer(proxy).state?.health?.status == .healthy
            }
            try #require(proxyHealthy, "engine-proxy did not become healthy")

            let project = fixture.name("p")
            let arguments = ["supervise"] + Self.exporterArguments(try #require(services.exporter.command), project: project, listen: "0.0.0.0:9338")
            let exporter = try await Self.container(fixture, services.exporter, image: image, command: arguments, volume: volume)
            // /healthz answers 200 only once a collection reached the engine: through the proxy.
            let exporterHealthy = try await EngineFixture.eventually(timeout: .seconds(90)) {
                try await fixture.engine.inspectContainer(exporter).state?.health?.status == .healthy
            }
            try #require(exporterHealthy, "the exporter did not become healthy")

            let inspected = try await fixture.engine.inspectContainer(exporter)
            #expect(inspected.config?.user == "65534:65534")
            #expect(inspected.mounts?.contains { $0.destination == "/var/run/docker.sock" || $0.source == "/var/run/docker.sock" } == false)
            #expect((inspected.hostConfig?.pidMode ?? "").isEmpty)
            let pid = try #require(inspected.state?.pid)
            #expect(try Self.userIDs(pid: pid) == ["65534", "65534", "65534", "65534"])
            let proxyPID = try #require(try await fixture.engine.inspectContainer(proxy).state?.pid)
            #expect(try Self.userIDs(pid: proxyPID).first == "0", "engine-proxy is the one root process")

            // It heals: a container of its project that turns unhealthy is restarted.
            let busybox = try await TestImages.busybox(fixture.engine)
            let sick = try await HealerIntegrationTests.turnsUnhealthy(fixture, image: busybox, project: project, service: "api", networkMode: "none")
            let startedAt = try await fixture.engine.inspectContainer(sick).state?.startedAt
            let restarted = try await EngineFixture.eventually(timeout: .seconds(120)) {
                try await fixture.engine.inspectContainer(sick).state?.startedAt != startedAt
            }
            #expect(restarted, "the deployed exporter did not restart the unhealthy container")
        }
    }
}
