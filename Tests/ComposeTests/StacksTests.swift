import Foundation
import Testing
import Yams

@testable import Compose

/// The default stacks and the manifest, as shipped in stacks/.
@Suite("Default stacks and manifest")
struct StacksTests {
    static let manifestPath = Fixture.stacksDirectory + "/stackpilot.yml"

    @Test("the manifest lists monitoring then app, the URLs, credentials by variable name, dashboards and targets")
    func manifest() throws {
        let m = try Manifest.load(path: Self.manifestPath)
        #expect(m.deployment.map(\.project) == ["stackpilot-monitoring", "stackpilot-app"])
        #expect(m.deployment.map(\.file) == [Fixture.stacksDirectory + "/monitoring.yml", Fixture.stacksDirectory + "/app.yml"])
        #expect(m.network == "stackpilot")
        #expect(m.prometheus.url == "http://127.0.0.1:9090")
        #expect(m.grafana.url == "http://127.0.0.1:3000")
        #expect(m.grafana.credentials.userEnv == "GRAFANA_ADMIN_USER")
        #expect(m.grafana.credentials.passwordEnv == "GRAFANA_ADMIN_PASSWORD")
        #expect(m.dashboardsDirectory == Fixture.repoRoot + "/dashboards")
        #expect(
            m.target(job: "api")?.metrics == ["http_requests_total", "http_request_duration_seconds", "http_request_size_bytes", "http_response_size_bytes"])
        #expect(
            m.target(job: "model-api")?.metrics == [
                "model_inference_latency_seconds", "model_inference_total", "model_tokens_total",
                "model_tokens_per_second", "model_errors_total", "gpu_memory_allocated_mb", "gpu_memory_reserved_mb",
            ])
        #expect(
            m.target(job: "node-exporter")?.metrics == [
                "node_cpu_seconds_total", "node_memory_MemAvailable_bytes",
                "node_filesystem_avail_bytes", "node_network_receive_bytes_total",
            ])
        #expect(m.target(job: "stackpilot")?.metrics == ["container_cpu_usage_seconds_total", "container_memory_working_set_bytes"])
        #expect(m.target(job: "stackpilot")?.metricsURL == "http://127.0.0.1:9338/metrics")
    }

    @Test("the manifest is found by --manifest, then STACKPILOT_MANIFEST, then stacks/stackpilot.yml")
    func locate() {
        #expect(Manifest.locate(explicit: "x/m.yml", environment: ["STACKPILOT_MANIFEST": "/e.yml"], currentDirectory: "/w") == "/w/x/m.yml")
        #expect(Manifest.locate(environment: ["STACKPILOT_MANIFEST": "/e.yml"], currentDirectory: "/w") == "/e.yml")
        #expect(Manifest.locate(environment: [:], currentDirectory: "/w") == "/w/stacks/stackpilot.yml")
    }

    @Test("credentials resolve from the environment, then the env file, defaulting to admin")
    func credentials() throws {
        let m = try Manifest.load(path: Self.manifestPath)
        #expect(m.grafana.credentials.resolve([:]) == ("admin", "admin"))
        #expect(m.grafana.credentials.resolve(["GRAFANA_ADMIN_USER": "ops", "GRAFANA_ADMIN_PASSWORD": "pw"]) == ("ops", "pw"))
        #expect(m.grafana.credentials.resolve(["GRAFANA_ADMIN_PASSWORD": ""]).password == "admin")
        let dir = try Fixture.directory(["deploy.env": "GRAFANA_ADMIN_PASSWORD=from-file\nGRAFANA_ADMIN_USER=fileuser\n"])
        defer { Fixture.cleanup(dir) }
        let fromFile = try m.grafanaCredentials(environment: ["GRAFANA_ADMIN_USER": "shell"], envFiles: [dir + "/deploy.env"])
        #expect(fromFile == ("shell", "from-file"))
        // The same file reaches the grafana container through interpolation.
        let projects = try m.loadProjects(environment: [:], envFiles: [dir + "/deploy.env"])
        #expect(projects[0].service(named: "grafana")?.environment["GF_SECURITY_ADMIN_PASSWORD"] == "from-file")
    }

    @Test("the whole deployment loads: services, images, ports on 127.0.0.1, healthchecks everywhere, shared network")
    func deployment() throws {
        // An explicit, empty env file: the shipped defaults, whatever stacks/.env a local
        // scripts/up wrote (it points the images at the local ones).
        let dir = try Fixture.directory(["empty.env": ""])
        defer { Fixture.cleanup(dir) }
        let projects = try Manifest.load(path: Self.manifestPath).loadProjects(environment: [:], envFiles: [dir + "/empty.env"])
        #expect(projects.map(\.name) == ["stackpilot-monitoring", "stackpilot-app"])
        let monitoring = projects[0], app = projects[1]
        #expect(monitoring.serviceNames == ["engine-proxy", "exporter", "grafana", "node-exporter", "prometheus"])
        #expect(app.serviceNames == ["api", "model-api"])
        let images = Dictionary(uniqueKeysWithValues: (monitoring.services + app.services).map { ($0.name, $0.image ?? "") })
        #expect(
            images == [
                "prometheus": "prom/prometheus:v2.53.0@sha256:075b1ba2c4ebb04bc3a6ab86c06ec8d8099f8fda1c96ef6d104d9bb1def1d8bc",
                "grafana": "grafana/grafana:11.1.0@sha256:079600c9517b678c10cda6006b4487d3174512fd4c6cface37df7822756ed7a5",
                "node-exporter": "prom/node-exporter:v1.8.1@sha256:fa7fa12a57eff607176d5c363d8bb08dfbf636b36ac3cb5613a202f3c61a6631",
                "exporter": "stackpilot-local/stackpilot:0.1.0", "engine-proxy": "stackpilot-local/stackpilot:0.1.0",
                "api": "stackpilot-local/workload-sim:0.1.0", "model-api": "stackpilot-local/workload-sim:0.1.0",
            ])
        let ports = Dictionary(uniqueKeysWithValues: (monitoring.services + app.services).map { ($0.name, $0.ports) })
        let expected = ["prometheus": 9090, "grafana": 3000, "node-exporter": 9100, "exporter": 9338, "api": 5000, "model-api": 5001]
        for (name, port) in expected {
            #expect(ports[name] == [PortMapping(target: port, published: String(port), hostIP: "127.0.0.1", protocol: "tcp", mode: "ingress")])
        }
        // engine-proxy publishes nothing and joins no network (checked below).
        for service in monitoring.services + app.services where service.name != "engine-proxy" {
            let test = try #require(service.healthcheck?.test, "\(service.name) has no healthcheck")
            #expect(test.starts(with: ["CMD", "wget", "-q", "--spider"]))
            #expect(test.last?.hasPrefix("http://localhost:\(expected[service.name]!)/") == true)
            #expect(service.networks.map(\.name) == ["stackpilot"])
        }
        #expect(monitoring.networks["stackpilot"]?.name == "stackpilot")
        #expect(monitoring.networks["stackpilot"]?.external == false)
        #expect(app.networks["stackpilot"]?.name == "stackpilot")
        #expect(app.networks["stackpilot"]?.external == true)
        let exporter = try #require(monitoring.service(named: "exporter"))
        // Least privilege (issue 16, item 6): non-root, no capabilities, no host pid namespace or
        // cgroupfs, and the engine only through engine-proxy's socket.
        #expect(exporter.command?.prefix(5) == ["supervise", "--listen", "0.0.0.0:9338", "--manifest", "/etc/stackpilot/stacks/stackpilot.yml"])
        #expect(exporter.user == "65534:65534")
        #expect(exporter.capDrop == ["ALL"] && exporter.readOnly)
        #expect(exporter.pid == nil)
        #expect(!exporter.volumes.contains { $0.source == "/var/run/docker.sock" || $0.source == "/sys/fs/cgroup" || $0.target == "/var/run/docker.sock" })
        #expect(exporter.environment["DOCKER_HOST"] == "unix:///run/stackpilot/engine.sock")
        #expect(exporter.volumes.contains { $0.type == .volume && $0.source == "engine_proxy" && $0.target == "/run/stackpilot" })
        #expect(exporter.dependsOn.contains { $0.service == "engine-proxy" && $0.condition == .healthy })
        // Healing and re-provisioning (item 7): the manifest and what it names are mounted, and exist.
        for mount in exporter.volumes where mount.type == .bind {
            #expect(FileManager.default.fileExists(atPath: mount.source ?? ""), "\(mount.source ?? "") is missing")
            #expect(mount.readOnly)
        }
        #expect(exporter.volumes.contains { $0.target == "/etc/stackpilot/stacks/stackpilot.yml" })
        #expect(!(exporter.command ?? []).contains("--no-heal"))
        let proxy = try #require(monitoring.service(named: "engine-proxy"))
        #expect(proxy.command == ["engine-proxy", "--listen", "unix:///run/stackpilot/engine.sock", "--socket-mode", "0666", "--allow-restart"])
        #expect(proxy.volumes.contains { $0.source == "/var/run/docker.sock" })
        #expect(proxy.volumes.contains { $0.type == .volume && $0.source == "engine_proxy" && $0.target == "/run/stackpilot" })
        #expect(proxy.capDrop == ["ALL"] && proxy.readOnly && proxy.networkMode == "none" && proxy.ports.isEmpty)
        #expect(proxy.healthcheck?.test == ["CMD", "/bin/busybox", "test", "-S", "/run/stackpilot/engine.sock"])
        let grafana = try #require(monitoring.service(named: "grafana"))
        #expect(grafana.environment["GF_SECURITY_ADMIN_USER"] == "admin")
        #expect(grafana.environment["GF_SECURITY_ADMIN_PASSWORD"] == "admin")
        #expect(grafana.volumes.contains { $0.source == Fixture.stacksDirectory + "/grafana/provisioning" && $0.target == "/etc/grafana/provisioning" })
        let prometheus = try #require(monitoring.service(named: "prometheus"))
        #expect(
            prometheus.volumes.contains { $0.source == Fixture.stacksDirectory + "/prometheus/prometheus.yml" && $0.target == "/etc/prometheus/prometheus.yml" }
        )
        #expect(app.service(named: "api")?.dependsOn.first?.condition == .healthy)
    }

    @Test("image variables and the Grafana password come from the environment")
    func overrides() throws {
        let env = [
            "PROMETHEUS_IMAGE": "stackpilot-local/prometheus:0.1.0", "GRAFANA_ADMIN_PASSWORD": "s3cret",
            "API_IMAGE": "registry.example/rag-api:1",
        ]
        let projects = try Manifest.load(path: Self.manifestPath).loadProjects(environment: env)
        #expect(projects[0].service(named: "prometheus")?.image == "stackpilot-local/prometheus:0.1.0")
        #expect(projects[0].service(named: "grafana")?.environment["GF_SECURITY_ADMIN_PASSWORD"] == "s3cret")
        #expect(projects[1].service(named: "api")?.image == "registry.example/rag-api:1")
        #expect(projects[1].service(named: "model-api")?.image == "stackpilot-local/workload-sim:0.1.0")
    }

    @Test("the Prometheus config scrapes every target of the manifest every 15s")
    func prometheusConfig() throws {
        let text = try String(contentsOfFile: Fixture.stacksDirectory + "/prometheus/prometheus.yml", encoding: .utf8)
        let config = try #require(try Yams.load(yaml: text) as? [String: Any])
        let global = try #require(config["global"] as? [String: Any])
        #expect(global["scrape_interval"] as? String == "15s")
        let jobs = try #require(config["scrape_configs"] as? [[String: Any]])
        var targets: [String: [String]] = [:]
        for job in jobs {
            let statics = job["static_configs"] as? [[String: Any]] ?? []
            targets[job["job_name"] as? String ?? ""] = statics.flatMap { $0["targets"] as? [String] ?? [] }
        }
        let m = try Manifest.load(path: Self.manifestPath)
        for target in m.targets { #expect(targets[target.job] == [target.address], "job \(target.job)") }
        #expect(targets["prometheus"] == ["localhost:9090"])
    }

    struct BadManifest: CustomTestStringConvertible, Sendable {
        var name: String
        var yaml: String
        var line: Int
        var path: String
        var message: String
        var testDescription: String { name }
    }

    static let good = try! String(contentsOfFile: manifestPath, encoding: .utf8)

    static let badManifests: [BadManifest] = [
        BadManifest(name: "unknown key", yaml: "deploymnt: []\n", line: 1, path: "deploymnt", message: "unknown key `deploymnt` (did you mean `deployment`?)"),
        BadManifest(
            name: "missing compose file", yaml: good.replacingOccurrences(of: "file: app.yml", with: "file: nope.yml"),
            line: 11, path: "deployment[1].file", message: "nope.yml not found"),
        BadManifest(
            name: "bad Prometheus URL", yaml: good.replacingOccurrences(of: "url: http://127.0.0.1:9090", with: "url: 127.0.0.1:9090"),
            line: 17, path: "prometheus.url", message: "expected an http(s) URL"),
        BadManifest(
            name: "credential is not a variable name",
            yaml: good.replacingOccurrences(of: "password_env: GRAFANA_ADMIN_PASSWORD", with: "password_env: hunter 2"),
            line: 26, path: "grafana.credentials.password_env", message: "expected the name of an environment variable"),
        BadManifest(
            name: "target in an unknown project",
            yaml: good.replacingOccurrences(of: "project: stackpilot-app\n    address: api:5000", with: "project: other\n    address: api:5000"),
            line: 37, path: "targets[0].project", message: "project \"other\" is not in `deployment`"),
    ]

    @Test("a broken manifest is rejected naming line and key path", arguments: badManifests)
    func badManifest(_ c: BadManifest) throws {
        let dir = try Fixture.directory(["stackpilot.yml": c.yaml, "monitoring.yml": "", "app.yml": ""])
        defer { Fixture.cleanup(dir) }
        do {
            _ = try Manifest.load(path: dir + "/stackpilot.yml")
            Issue.record("expected the manifest to be rejected")
        } catch {
            let match = error.diagnostics.first { $0.path == c.path && $0.message.contains(c.message) }
            #expect(match?.line == c.line, "got \(error.diagnostics)")
            #expect(match?.file == dir + "/stackpilot.yml")
        }
    }
}

@Suite("Manifest shared network")
struct ManifestNetworkTests {
    static func manifest(_ order: [String]) -> String {
        "deployment:\n" + order.map { "  - project: \($0)\n    file: \($0).yml\n" }.joined() + """
            network: shared
            prometheus:
              url: http://127.0.0.1:9090
            grafana:
              url: http://127.0.0.1:3000
              credentials:
                user_env: U
                password_env: P
            dashboards: ../dashboards
            targets: []

            """
    }

    static let creator = "services:\n  a:\n    image: x\n    networks: [net]\nnetworks:\n  net:\n    name: shared\n"
    static let joiner = "services:\n  b:\n    image: x\n    networks: [net]\nnetworks:\n  net:\n    name: shared\n    external: true\n"
    static let loner = "services:\n  c:\n    image: x\n"

    @Test("the creator first, then a joiner, loads")
    func ordered() throws {
        let dir = try Fixture.directory(["m.yml": Self.manifest(["one", "two"]), "one.yml": Self.creator, "two.yml": Self.joiner])
        defer { Fixture.cleanup(dir) }
        let projects = try Manifest.load(path: dir + "/m.yml").loadProjects(environment: [:])
        #expect(projects.map(\.name) == ["one", "two"])
    }

    @Test(
        "a joiner before the creator, or a stack off the shared network, is rejected at `network:`",
        arguments: [(["two", "one"], "joins \"shared\" as external, but no earlier stack"), (["one", "three"], "does not use the shared network \"shared\"")])
    func misordered(_ order: [String], _ message: String) throws {
        let dir = try Fixture.directory(["m.yml": Self.manifest(order), "one.yml": Self.creator, "two.yml": Self.joiner, "three.yml": Self.loner])
        defer { Fixture.cleanup(dir) }
        do {
            _ = try Manifest.load(path: dir + "/m.yml").loadProjects(environment: [:])
            Issue.record("expected the deployment to be rejected")
        } catch {
            let d = try #require(error.diagnostics.first)
            #expect(d.file == dir + "/m.yml")
            #expect(d.line == 2 * order.count + 2)
            #expect(d.path == "network")
            #expect(d.message.contains(message))
        }
    }
}
