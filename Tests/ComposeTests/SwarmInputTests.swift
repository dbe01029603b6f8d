import Foundation
import Testing

@testable import Compose

/// Swarm-only mistakes: each is refused with file, line and key path when the files are loaded for
/// a swarm deployment, and the same file loads on a single host (where those keys mean nothing).
@Suite("Compose on Swarm: swarm-only mistakes, located")
struct SwarmInputTests {
    /// The bad-input suite's case and service prefix (lines 1-3; a case adds from line 4).
    typealias Case = BadInputTests.Case
    static let svc = BadInputTests.svc

    static let cases: [Case] = [
        Case(
            name: "bind mount of a host path", yaml: svc + "    volumes:\n      - /srv/data:/data\n", line: 5, path: "services.a.volumes[0]",
            message: "bind mount of the host path /srv/data"),
        Case(
            name: "long bind mount of a host path", yaml: svc + "    volumes:\n      - type: bind\n        source: /srv/data\n        target: /data\n",
            line: 5, path: "services.a.volumes[0]", message: "bind mount of the host path /srv/data"),
        Case(
            name: "a repository file that does not exist", yaml: svc + "    volumes:\n      - ./missing.yml:/etc/x.yml:ro\n", line: 5,
            path: "services.a.volumes[0]", message: "does not exist"),
        Case(
            name: "replicas with mode global", yaml: svc + "    deploy:\n      mode: global\n      replicas: 2\n", line: 6, path: "services.a.deploy.replicas",
            message: "`replicas` cannot be used with `mode: global`"),
        Case(
            name: "scale with mode global", yaml: svc + "    scale: 2\n    deploy:\n      mode: global\n", line: 4, path: "services.a.scale",
            message: "`scale` cannot be used with `mode: global`"),
        Case(name: "a job mode", yaml: svc + "    deploy:\n      mode: replicated-job\n", line: 5, path: "services.a.deploy.mode", message: "swarm jobs"),
        Case(
            name: "unknown placement syntax", yaml: svc + "    deploy:\n      placement:\n        constraints: [\"node.hostname = a\"]\n", line: 6,
            path: "services.a.deploy.placement.constraints[0]", message: "invalid placement constraint"),
        Case(
            name: "unknown placement attribute", yaml: svc + "    deploy:\n      placement:\n        constraints:\n          - node.colour == red\n", line: 7,
            path: "services.a.deploy.placement.constraints[0]", message: "invalid placement constraint"),
        Case(
            name: "unknown placement key", yaml: svc + "    deploy:\n      placement:\n        constrains: [\"node.role == manager\"]\n", line: 6,
            path: "services.a.deploy.placement.constrains", message: "unknown key `constrains`"),
        Case(
            name: "spread of no attribute", yaml: svc + "    deploy:\n      placement:\n        preferences:\n          - spread: zone\n", line: 7,
            path: "services.a.deploy.placement.preferences[0].spread", message: "invalid spread preference"),
        Case(
            name: "max_replicas_per_node with mode global",
            yaml: svc + "    deploy:\n      mode: global\n      placement:\n        max_replicas_per_node: 1\n", line: 7,
            path: "services.a.deploy.placement.max_replicas_per_node", message: "cannot be used with `mode: global`"),
        Case(
            name: "restart_policy condition", yaml: svc + "    deploy:\n      restart_policy:\n        condition: sometimes\n", line: 6,
            path: "services.a.deploy.restart_policy.condition", message: "invalid condition \"sometimes\""),
        Case(
            name: "restart_policy delay", yaml: svc + "    deploy:\n      restart_policy:\n        delay: soon\n", line: 6,
            path: "services.a.deploy.restart_policy.delay", message: "invalid duration \"soon\""),
        Case(
            name: "update_config order", yaml: svc + "    deploy:\n      update_config:\n        order: random\n", line: 6,
            path: "services.a.deploy.update_config.order", message: "invalid order \"random\""),
        Case(
            name: "rollback_config failure_action", yaml: svc + "    deploy:\n      rollback_config:\n        failure_action: rollback\n", line: 6,
            path: "services.a.deploy.rollback_config.failure_action", message: "invalid failure_action \"rollback\""),
        Case(
            name: "update_config ratio", yaml: svc + "    deploy:\n      update_config:\n        max_failure_ratio: 2\n", line: 6,
            path: "services.a.deploy.update_config.max_failure_ratio", message: "expected a ratio from 0 to 1"),
        Case(
            name: "endpoint_mode", yaml: svc + "    deploy:\n      endpoint_mode: round-robin\n", line: 5, path: "services.a.deploy.endpoint_mode",
            message: "invalid endpoint_mode"),
        Case(
            name: "dnsrr with an ingress port", yaml: svc + "    ports: [\"8080:80\"]\n    deploy:\n      endpoint_mode: dnsrr\n", line: 4,
            path: "services.a.ports[0]", message: "cannot be used with `endpoint_mode: dnsrr`"),
        Case(
            name: "published port range", yaml: svc + "    ports: [\"8000-8001:80\"]\n", line: 4, path: "services.a.ports[0]",
            message: "published port range"),
        Case(name: "devices", yaml: svc + "    devices: [\"/dev/fuse:/dev/fuse\"]\n", line: 4, path: "services.a.devices", message: "generic_resources"),
        Case(name: "gpus", yaml: svc + "    gpus: all\n", line: 4, path: "services.a.gpus", message: "generic_resources"),
        Case(
            name: "reservations.devices", yaml: svc + "    deploy:\n      resources:\n        reservations:\n          devices: [{capabilities: [gpu]}]\n",
            line: 7, path: "services.a.deploy.resources.reservations.devices", message: "generic_resources"),
        Case(
            name: "volumes_from", yaml: svc + "    volumes_from: [b]\n  b:\n    image: busybox\n", line: 4, path: "services.a.volumes_from",
            message: "named volume"),
        Case(
            name: "network_mode of another service", yaml: svc + "    network_mode: service:b\n  b:\n    image: busybox\n", line: 4,
            path: "services.a.network_mode", message: "cannot be used on Swarm"),
        Case(
            name: "depends_on completed successfully",
            yaml: svc + "    depends_on:\n      b:\n        condition: service_completed_successfully\n  b:\n    image: busybox\n", line: 6,
            path: "services.a.depends_on.b.condition", message: "does not complete"),
    ]

    static func load(_ yaml: String, extra: [String: String] = [:], swarm: Bool) throws -> (Result<ComposeProject, ComposeError>, String) {
        var files = extra
        files["compose.yaml"] = yaml
        let dir = try Fixture.directory(files)
        defer { Fixture.cleanup(dir) }
        var options = ComposeLoadOptions(files: [dir + "/compose.yaml"], projectName: "sw", environment: [:], currentDirectory: dir)
        options.swarm = swarm
        do throws(ComposeError) {
            return (.success(try ComposeLoader().load(options)), dir)
        } catch {
            return (.failure(error), dir)
        }
    }

    @Test("a swarm-only mistake is refused naming file, line and key path", arguments: cases)
    func refused(_ c: Case) throws {
        let (result, dir) = try Self.load(c.yaml, swarm: true)
        guard case .failure(let error) = result else {
            Issue.record("expected the stack to be rejected for Swarm")
            return
        }
        let match = error.diagnostics.first { $0.path == c.path && $0.message.contains(c.message) }
        #expect(match != nil, "no diagnostic at \(c.path) containing \"\(c.message)\"; got:\n\(error.description)")
        #expect(match?.file == dir + "/compose.yaml")
        #expect(match?.line == c.line)
    }

    @Test("what Swarm refuses, a single host accepts or refuses for its own reasons, never for Swarm's", arguments: cases)
    func singleHostUnchanged(_ c: Case) throws {
        let (result, _) = try Self.load(c.yaml, swarm: false)
        if case .failure(let error) = result {
            #expect(!error.diagnostics.contains { $0.path == c.path && $0.message.contains(c.message) })
        }
    }

    @Test("repository files, paths every node has, and host paths of a pinned service are accepted")
    func acceptedMounts() throws {
        let yaml = """
            services:
              prometheus:
                image: busybox
                volumes:
                  - ./prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro
                  - ./grafana:/etc/grafana:ro
                  - data:/prometheus
                tmpfs: /tmp
              node-exporter:
                image: busybox
                deploy: {mode: global}
                volumes: ["/proc:/host/proc:ro", "/sys:/host/sys:ro", "/:/rootfs:ro"]
              pinned:
                image: busybox
                volumes: ["/srv/data:/data"]
                deploy:
                  placement:
                    constraints: ["node.hostname == node-1", "node.labels.disk != slow"]
                    preferences: [{spread: node.labels.zone}]
                    max_replicas_per_node: 1
            volumes:
              data: {}
            """
        let extra = ["prometheus/prometheus.yml": "global: {}\n", "grafana/a/b.yml": "x: 1\n"]
        let (result, _) = try Self.load(yaml, extra: extra, swarm: true)
        if case .failure(let error) = result { Issue.record("rejected: \(error)") }
    }

    @Test("on Swarm a key takes its swarm disposition: ignored keys are warned about with the swarm reason")
    func swarmWarnings() throws {
        let yaml = "services:\n  a:\n    image: busybox\n    privileged: true\n    container_name: x\n    ports: [\"127.0.0.1:80:80\"]\n"
        let (swarm, _) = try Self.load(yaml, swarm: true)
        let warnings = try swarm.get().warnings.map(\.path)
        #expect(warnings.contains("services.a.privileged"))
        #expect(warnings.contains("services.a.container_name"))
        #expect(warnings.contains("services.a.ports[0]"))
        let (host, _) = try Self.load(yaml, swarm: false)
        #expect(try host.get().warnings.isEmpty)
    }

    @Test("generic resources are read on every target and kept in the model")
    func genericResources() throws {
        let yaml =
            "services:\n  a:\n    image: busybox\n    deploy:\n      resources:\n        reservations:\n"
            + "          generic_resources:\n            - discrete_resource_spec: {kind: gpu, value: 2}\n"
        let (result, _) = try Self.load(yaml, swarm: false)
        let a = try #require(try result.get().service(named: "a"))
        #expect(a.deploy?.reservations?.genericResources == [GenericResource(kind: "gpu", value: 2)])
    }

    @Test(
        "placement constraints parse as swarmkit's do, and a pinned service names its node",
        arguments: [
            ("node.hostname == a", true), ("node.labels.gpu!=true", true), ("engine.labels.os == linux", true), ("node.role==manager", true),
            ("node.hostname = a", false), ("node.colour == red", false), ("node.labels. == x", false), ("node.id ==", false),
        ])
    func constraints(_ text: String, _ valid: Bool) {
        #expect((SwarmRules.constraint(text) != nil) == valid)
    }

    @Test("the node a service is pinned to")
    func pinned() {
        #expect(SwarmRules.pinnedNode(["node.role == manager", "node.hostname == lab-1"]) == "lab-1")
        #expect(SwarmRules.pinnedNode(["node.hostname != lab-1"]) == nil)
        #expect(SwarmRules.pinnedNode(["node.id==abc"]) == "abc")
    }

    @Test("the manifest's swarm block: enabled and the registry; a bad registry is located")
    func manifest() throws {
        let base = try String(contentsOfFile: Fixture.stacksDirectory + "/stackpilot.yml", encoding: .utf8)
        let stacks = Fixture.stacksDirectory
        func load(_ block: String) throws -> Result<Manifest, ComposeError> {
            let text =
                base.replacingOccurrences(of: "file: monitoring.yml", with: "file: \(stacks)/monitoring.yml")
                .replacingOccurrences(of: "file: app.yml", with: "file: \(stacks)/app.yml") + block
            let dir = try Fixture.directory(["stackpilot.yml": text])
            defer { Fixture.cleanup(dir) }
            do throws(ComposeError) { return .success(try Manifest.load(path: dir + "/stackpilot.yml")) } catch { return .failure(error) }
        }
        #expect(try load("").get().swarm == nil)
        let swarm = try load("swarm:\n  enabled: true\n  registry: 127.0.0.1:5000\n").get().swarm
        #expect(swarm == Manifest.Swarm(enabled: true, registry: "127.0.0.1:5000"))
        guard case .failure(let error) = try load("swarm:\n  registry: http://r\n") else {
            Issue.record("a registry with a scheme was accepted")
            return
        }
        #expect(error.diagnostics.map(\.path) == ["swarm.registry"])
    }
}
