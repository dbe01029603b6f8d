import Foundation
import Testing
import Yams

@testable import Compose

@Suite("Compose loading and normalisation")
struct LoadTests {
    static let acceptanceFiles = Fixture.composeFiles(under: Fixture.acceptanceDirectory)
    static let stackFiles = [Fixture.stacksDirectory + "/monitoring.yml", Fixture.stacksDirectory + "/app.yml"]

    @Test("the acceptance stacks are where the tests expect them")
    func acceptanceStacksPresent() {
        #expect(Self.acceptanceFiles.count >= 5, "found \(Self.acceptanceFiles)")
    }

    @Test("every acceptance and default compose file loads", arguments: acceptanceFiles + stackFiles)
    func loads(_ file: String) throws {
        let project = try ComposeLoader().load(ComposeLoadOptions(files: [file], projectName: "sptest", environment: [:]))
        #expect(!project.services.isEmpty)
        for service in project.services {
            #expect(service.image != nil || service.build != nil)
            #expect(!service.configHash.isEmpty)
        }
        #expect(project.startOrder.count == project.services.count)
    }

    @Test("dockprom: the $$ regex and the bcrypt default survive interpolation")
    func dockprom() throws {
        let project = try ComposeLoader().load(
            ComposeLoadOptions(
                files: [Fixture.acceptanceDirectory + "/dockprom/docker-compose.yml"], environment: [:]))
        #expect(project.name == "dockprom")
        let node = try #require(project.service(named: "nodeexporter"))
        #expect(node.command?.last == "--collector.filesystem.mount-points-exclude=^/(sys|proc|dev|host|etc)($|/)")
        let caddy = try #require(project.service(named: "caddy"))
        #expect(caddy.environment["ADMIN_PASSWORD_HASH"] == "$2a$14$1l.IozJx7xQRVmlkEQ32OeEEfP5mRxTpbDTCTcXRqn19gXD8YK1pO")
        #expect(caddy.ports.map(\.target) == [3000, 8080, 9090, 9093, 9091])
        let grafana = try #require(project.service(named: "grafana"))
        #expect(grafana.environment["GF_SECURITY_ADMIN_USER"] == "admin")
        #expect(grafana.volumes.first?.type == .volume)
        #expect(grafana.volumes.first?.source == "grafana_data")
        #expect(grafana.volumes[1].source == Fixture.acceptanceDirectory + "/dockprom/grafana/provisioning/dashboards")
        let cadvisor = try #require(project.service(named: "cadvisor"))
        #expect(cadvisor.privileged)
        #expect(cadvisor.devices == [DeviceMapping(source: "/dev/kmsg", target: "/dev/kmsg", permissions: "rwm")])
        #expect(project.networks["monitor-net"]?.name == "dockprom_monitor-net")
        #expect(project.volumes["grafana_data"]?.name == "dockprom_grafana_data")
    }

    @Test("dockprom exporters: network_mode host and no implicit default network")
    func networkModeHost() throws {
        let project = try ComposeLoader().load(
            ComposeLoadOptions(
                files: [Fixture.acceptanceDirectory + "/dockprom/docker-compose.exporters.yml"], environment: [:]))
        let node = try #require(project.service(named: "nodeexporter"))
        #expect(node.networkMode == "host")
        #expect(node.networks.isEmpty)
        #expect(project.networks["default"] == nil)
    }

    @Test("environment wins over .env, and ADMIN_USER from the shell reaches the service")
    func dockpromEnvironment() throws {
        let project = try ComposeLoader().load(
            ComposeLoadOptions(
                files: [Fixture.acceptanceDirectory + "/dockprom/docker-compose.yml"], environment: ["ADMIN_USER": "root"]))
        #expect(project.service(named: "grafana")?.environment["GF_SECURITY_ADMIN_USER"] == "root")
    }

    @Test("vegasbrianc: env_file merged into environment, user kept as a string, links kept")
    func vegasbrianc() throws {
        let project = try ComposeLoader().load(
            ComposeLoadOptions(
                files: [Fixture.acceptanceDirectory + "/vegasbrianc-prometheus/docker-compose.yml"], environment: [:]))
        #expect(project.warnings.contains { $0.path == "version" && $0.message.contains("obsolete") })
        let grafana = try #require(project.service(named: "grafana"))
        #expect(grafana.environment["GF_SECURITY_ADMIN_PASSWORD"] == "foobar")
        #expect(grafana.envFiles == [Fixture.acceptanceDirectory + "/vegasbrianc-prometheus/grafana/config.monitoring"])
        #expect(grafana.user == "472")
        #expect(grafana.networks.map(\.name) == ["back-tier", "front-tier"])
        let prometheus = try #require(project.service(named: "prometheus"))
        #expect(prometheus.other["links"] == .array([.string("cadvisor:cadvisor"), .string("alertmanager:alertmanager")]))
        #expect(project.startOrder.firstIndex(of: "cadvisor")! < project.startOrder.firstIndex(of: "prometheus")!)
        #expect(project.startOrder.firstIndex(of: "prometheus")! < project.startOrder.firstIndex(of: "grafana")!)
    }

    @Test("project name: -p, then COMPOSE_PROJECT_NAME, then name:, then the directory, normalised")
    func projectName() throws {
        let yaml = "name: From_File\nservices:\n  a:\n    image: x\n"
        #expect(try Fixture.load(yaml, projectName: "cli").0.name == "cli")
        #expect(try Fixture.load(yaml, environment: ["COMPOSE_PROJECT_NAME": "fromenv"]).0.name == "fromenv")
        #expect(try Fixture.load(yaml, environment: ["COMPOSE_PROJECT_NAME": "fromenv"], projectName: "cli").0.name == "cli")
        #expect(try Fixture.load(yaml).0.name == "from_file")
        let (project, dir) = try Fixture.load("services:\n  a:\n    image: x\n")
        #expect(project.name == ProjectName.normalise(URL(fileURLWithPath: dir).lastPathComponent))
        #expect(ProjectName.normalise("-My.App 2_") == "myapp2_")
        #expect(ProjectName.normalise("__x") == "x")
        #expect(ProjectName.isValid("my-app_1"))
        #expect(!ProjectName.isValid("My-App"))
    }

    @Test(".env in the project directory feeds interpolation; the environment wins; --env-file replaces it")
    func dotEnv() throws {
        let files = [
            "compose.yaml": "services:\n  a:\n    image: ${IMAGE}\n    environment:\n      LEVEL: ${LEVEL}\n      QUOTED: ${QUOTED}\n",
            ".env": "# comment\nexport IMAGE=from-dotenv\nLEVEL=info # trailing comment\nQUOTED=\"two\\nlines ${LEVEL}\"\n",
            "other.env": "IMAGE=from-other\nLEVEL=debug\nQUOTED='${NOT_INTERPOLATED}'\n",
        ]
        let dir = try Fixture.directory(files)
        defer { Fixture.cleanup(dir) }
        let loader = ComposeLoader()
        let base = try loader.load(ComposeLoadOptions(files: [dir + "/compose.yaml"], environment: [:]))
        #expect(base.services[0].image == "from-dotenv")
        #expect(base.services[0].environment == ["LEVEL": "info", "QUOTED": "two\nlines info"])
        let shell = try loader.load(ComposeLoadOptions(files: [dir + "/compose.yaml"], environment: ["IMAGE": "from-shell"]))
        #expect(shell.services[0].image == "from-shell")
        let other = try loader.load(ComposeLoadOptions(files: [dir + "/compose.yaml"], envFiles: [dir + "/other.env"], environment: [:]))
        #expect(other.services[0].image == "from-other")
        #expect(other.services[0].environment == ["LEVEL": "debug", "QUOTED": "${NOT_INTERPOLATED}"])
    }

    @Test("environment: list and map forms, a bare name takes the shell value, env_file under environment")
    func environmentForms() throws {
        let (project, _) = try Fixture.load(
            """
            services:
              list:
                image: x
                env_file: vars.env
                environment:
                  - A=1
                  - FROM_SHELL
                  - NOT_SET
                  - SHARED=explicit
              map:
                image: x
                environment:
                  N: 5
                  B: true
                  EMPTY: ""
                  FROM_SHELL:
            """, extra: ["vars.env": "SHARED=file\nONLY_FILE=yes\n"], environment: ["FROM_SHELL": "shell"])
        #expect(project.service(named: "list")?.environment == ["A": "1", "FROM_SHELL": "shell", "SHARED": "explicit", "ONLY_FILE": "yes"])
        #expect(project.service(named: "map")?.environment == ["N": "5", "B": "true", "EMPTY": "", "FROM_SHELL": "shell"])
        #expect(project.service(named: "map")?.environmentList == ["B=true", "EMPTY=", "FROM_SHELL=shell", "N=5"])
    }

    struct PortCase: CustomTestStringConvertible, Sendable {
        var spec: String
        var expected: [String]
        var testDescription: String { spec }
    }

    static let portCases: [PortCase] = [
        PortCase(spec: "80", expected: ["-:80/tcp"]),
        PortCase(spec: "8080:80", expected: ["8080:80/tcp"]),
        PortCase(spec: "127.0.0.1:9090:9090", expected: ["127.0.0.1:9090:9090/tcp"]),
        PortCase(spec: "127.0.0.1::80", expected: ["127.0.0.1:-:80/tcp"]),
        PortCase(spec: "53:53/udp", expected: ["53:53/udp"]),
        PortCase(spec: "[::1]:8080:80", expected: ["::1:8080:80/tcp"]),
        PortCase(spec: "8000-8002:9000-9002", expected: ["8000:9000/tcp", "8001:9001/tcp", "8002:9002/tcp"]),
        PortCase(spec: "9000-9001", expected: ["-:9000/tcp", "-:9001/tcp"]),
        PortCase(spec: "8000-8010:80", expected: ["8000-8010:80/tcp"]),
        PortCase(spec: "0.0.0.0:5000:5000/sctp", expected: ["0.0.0.0:5000:5000/sctp"]),
    ]

    @Test("short port syntax expands as compose does", arguments: portCases)
    func shortPorts(_ c: PortCase) throws {
        let list = try Normaliser.parsePort(c.spec).get()
        let rendered = list.map { "\($0.hostIP.map { $0 + ":" } ?? "")\($0.published ?? "-"):\($0.target)/\($0.protocol)" }
        #expect(rendered == c.expected)
    }

    @Test("long port and volume syntax, tmpfs, anonymous volumes, ~ and relative paths")
    func longSyntax() throws {
        let (project, dir) = try Fixture.load(
            """
            services:
              a:
                image: x
                ports:
                  - target: 80
                    published: "8080"
                    host_ip: 127.0.0.1
                    protocol: udp
                volumes:
                  - type: bind
                    source: ./conf/../conf
                    target: /etc/conf/
                    read_only: true
                    bind:
                      propagation: rslave
                  - type: volume
                    source: data
                    target: /data
                    volume:
                      nocopy: true
                  - type: tmpfs
                    target: /tmp
                    tmpfs:
                      size: 64m
                  - /anonymous
                  - ~/cache:/cache:ro,z
            volumes:
              data:
                driver: local
                labels: [team=ops]
            """, environment: ["HOME": "/home/u"])
        let a = try #require(project.service(named: "a"))
        #expect(a.ports == [PortMapping(target: 80, published: "8080", hostIP: "127.0.0.1", protocol: "udp", mode: nil)])
        #expect(a.volumes.count == 5)
        #expect(a.volumes[0].type == .bind && a.volumes[0].source == dir + "/conf" && a.volumes[0].target == "/etc/conf")
        #expect(a.volumes[0].readOnly && a.volumes[0].propagation == "rslave")
        #expect(a.volumes[1].noCopy == true && a.volumes[1].source == "data")
        #expect(a.volumes[2].type == .tmpfs && a.volumes[2].tmpfsSize == 64 * 1024 * 1024)
        #expect(a.volumes[3].type == .volume && a.volumes[3].source == nil && a.volumes[3].target == "/anonymous")
        #expect(a.volumes[4].source == "/home/u/cache" && a.volumes[4].readOnly && a.volumes[4].selinux == "z")
        #expect(project.volumes["data"]?.labels == ["team": "ops"])
    }

    @Test("healthcheck forms, durations in nanoseconds, deploy resources in bytes and CPUs")
    func healthAndDeploy() throws {
        let (project, _) = try Fixture.load(
            """
            services:
              a:
                image: x
                healthcheck:
                  test: wget -q --spider http://localhost/ || exit 1
                  interval: 1m30s
                  timeout: 500ms
                  start_period: 1h
                  start_interval: 2s
                  retries: 3
                deploy:
                  replicas: 2
                  resources:
                    limits: {cpus: "0.5", memory: 512M}
                    reservations: {memory: 1gb}
                stop_grace_period: 1m
              b:
                image: x
                healthcheck:
                  disable: true
              c:
                image: x
                healthcheck:
                  test: ["NONE"]
            """)
        let a = try #require(project.service(named: "a"))
        let h = try #require(a.healthcheck)
        #expect(h.test == ["CMD-SHELL", "wget -q --spider http://localhost/ || exit 1"])
        #expect(h.interval?.nanoseconds == 90_000_000_000)
        #expect(h.timeout?.nanoseconds == 500_000_000)
        #expect(h.startPeriod?.duration == .seconds(3600))
        #expect(h.startInterval?.description == "2s")
        #expect(h.retries == 3)
        #expect(a.deploy?.replicas == 2)
        #expect(a.deploy?.limits == ResourceSpec(cpus: 0.5, memory: 512 * 1024 * 1024, pids: nil))
        let reserved: Int64? = a.deploy?.reservations?.memory
        #expect(reserved == Int64(1) << 30)
        #expect(a.stopGracePeriod?.nanoseconds == 60_000_000_000)
        #expect(project.service(named: "b")?.healthcheck?.disable == true)
        #expect(project.service(named: "c")?.healthcheck?.disable == true)
    }

    @Test(
        "durations parse and print as Go does",
        arguments: [
            ("10s", Int64(10_000_000_000), "10s"), ("1m30s", 90_000_000_000, "1m30s"), ("1.5s", 1_500_000_000, "1.5s"),
            ("500ms", 500_000_000, "500ms"), ("2us", 2_000, "2us"), ("1h", 3_600_000_000_000, "1h0m0s"), ("0", 0, "0s"),
        ])
    func durations(_ text: String, _ nanoseconds: Int64, _ printed: String) throws {
        let d = try #require(ComposeDuration(parsing: text))
        #expect(d.nanoseconds == nanoseconds)
        #expect(d.description == printed)
    }

    @Test("invalid durations are refused", arguments: ["", "10", "s", "10 s", "1x", "1.2.3s", "ten seconds"])
    func invalidDurations(_ text: String) {
        #expect(ComposeDuration(parsing: text) == nil)
    }

    @Test("depends_on: short and long forms, required, restart; start order puts dependencies first")
    func dependencies() throws {
        let (project, _) = try Fixture.load(
            """
            services:
              web:
                image: x
                depends_on:
                  api:
                    condition: service_healthy
                    restart: true
                  migrate:
                    condition: service_completed_successfully
                    required: false
              api:
                image: x
                depends_on: [db]
              db:
                image: x
              migrate:
                image: x
                depends_on: [db]
            """)
        let web = try #require(project.service(named: "web"))
        #expect(
            web.dependsOn == [
                ServiceDependency(service: "api", condition: .healthy, required: true, restart: true),
                ServiceDependency(service: "migrate", condition: .completedSuccessfully, required: false, restart: false),
            ])
        #expect(project.startOrder == ["db", "api", "migrate", "web"])
        #expect(project.dependencyGraph.levels() == [["db"], ["api", "migrate"], ["web"]])
    }

    @Test("merging -f files follows compose's rules")
    func merge() throws {
        let base = """
            services:
              a:
                image: base
                command: ["base", "cmd"]
                environment:
                  KEEP: "1"
                  OVERRIDE: base
                labels: [team=ops]
                ports: ["8080:80"]
                volumes:
                  - ./one:/data
                  - ./logs:/logs
                expose: ["80"]
                networks: [front]
                depends_on: [b]
              b:
                image: b
            networks:
              front:
              back:
            """
        let override = """
            services:
              a:
                image: override
                command: override
                environment:
                  - OVERRIDE=override
                  - ADDED=yes
                labels:
                  tier: web
                ports: ["8080:80", "9090:90"]
                volumes:
                  - ./two:/data
                expose: ["81"]
                networks:
                  back:
                    aliases: [api]
                depends_on:
                  b:
                    condition: service_healthy
                healthcheck:
                  test: ["CMD", "true"]
              c:
                image: c
            """
        let (project, dir) = try Fixture.load(base, extra: ["override.yaml": override], files: ["compose.yaml", "override.yaml"])
        let a = try #require(project.service(named: "a"))
        #expect(a.image == "override")
        #expect(a.command == ["override"])
        #expect(a.environment == ["KEEP": "1", "OVERRIDE": "override", "ADDED": "yes"])
        #expect(a.labels == ["team": "ops", "tier": "web"])
        #expect(a.ports.map(\.published) == ["8080", "9090"])
        #expect(a.volumes.map(\.target) == ["/data", "/logs"])
        #expect(a.volumes[0].source == dir + "/two")
        #expect(a.expose == ["80", "81"])
        #expect(a.networks.map(\.name) == ["back", "front"])
        #expect(a.networks.first?.aliases == ["api"])
        #expect(a.dependsOn == [ServiceDependency(service: "b", condition: .healthy, required: true, restart: false)])
        #expect(a.healthcheck?.test == ["CMD", "true"])
        #expect(project.serviceNames == ["a", "b", "c"])
        #expect(project.configFiles == [dir + "/compose.yaml", dir + "/override.yaml"])
    }

    @Test("YAML anchors, merge keys and x- extensions work")
    func anchors() throws {
        let (project, _) = try Fixture.load(
            """
            x-common: &common
              restart: always
              labels:
                shared: "yes"
            services:
              a:
                <<: *common
                image: x
                x-note: hello
              b:
                <<: *common
                image: y
                restart: "no"
            """)
        #expect(project.service(named: "a")?.restart == "always")
        #expect(project.service(named: "a")?.labels == ["shared": "yes"])
        #expect(project.service(named: "a")?.extensions["x-note"] == .string("hello"))
        #expect(project.service(named: "b")?.restart == "no")
    }

    @Test("profiles: services of disabled profiles are left out")
    func profiles() throws {
        let yaml = "services:\n  a:\n    image: x\n  debug:\n    image: x\n    profiles: [debug]\n"
        #expect(try Fixture.load(yaml).0.serviceNames == ["a"])
        #expect(try Fixture.load(yaml, environment: ["COMPOSE_PROFILES": "debug"]).0.serviceNames == ["a", "debug"])
    }

    @Test("the config hash ignores build, pull_policy, scale, replicas, depends_on and profiles, and nothing else")
    func configHash() throws {
        let base = "services:\n  a:\n    image: x\n    environment: {A: \"1\"}\n  b:\n    image: y\n"
        let hash = try #require(try Fixture.load(base).0.configHash(service: "a"))
        #expect(hash.count == 64 && hash.allSatisfy(\.isHexDigit))
        let ignored = base.replacingOccurrences(
            of: "    image: x\n",
            with: """
                    image: x
                    build: ./src
                    pull_policy: always
                    scale: 1
                    deploy: {replicas: 3}
                    depends_on: [b]
                    profiles: [p]

                """)
        #expect(try Fixture.load(ignored, environment: ["COMPOSE_PROFILES": "p"]).0.configHash(service: "a") == hash)
        let changes = [
            base.replacingOccurrences(of: "A: \"1\"", with: "A: \"2\""),
            base.replacingOccurrences(of: "image: x", with: "image: x:2"),
            base.replacingOccurrences(of: "    image: x\n", with: "    image: x\n    ports: [\"80\"]\n"),
            base.replacingOccurrences(of: "    image: x\n", with: "    image: x\n    command: [\"run\"]\n"),
        ]
        for changed in changes {
            #expect(try Fixture.load(changed).0.configHash(service: "a") != hash)
        }
        // Same config, other key order in the file: same hash.
        let reordered = "services:\n  b:\n    image: y\n  a:\n    environment: {A: \"1\"}\n    image: x\n"
        #expect(try Fixture.load(reordered).0.configHash(service: "a") == hash)
    }

    @Test("secret-looking environment values are redacted unless asked for")
    func redaction() throws {
        let (project, _) = try Fixture.load(
            """
            services:
              a:
                image: x
                environment:
                  GF_SECURITY_ADMIN_PASSWORD: hunter2
                  API_TOKEN: t0ken
                  AWS_SECRET_ACCESS_KEY: s3cret
                  LOG_LEVEL: info
            """)
        let redacted = project.redactingSecrets()
        let env = try #require(redacted.service(named: "a")?.environment)
        #expect(env["GF_SECURITY_ADMIN_PASSWORD"] == "********")
        #expect(env["API_TOKEN"] == "********")
        #expect(env["AWS_SECRET_ACCESS_KEY"] == "********")
        #expect(env["LOG_LEVEL"] == "info")
        let text = redacted.plainValue().prettyJSON() + (try redacted.plainValue().yaml())
        #expect(!text.contains("hunter2") && !text.contains("t0ken") && !text.contains("s3cret"))
        #expect(project.service(named: "a")?.environment["GF_SECURITY_ADMIN_PASSWORD"] == "hunter2")
    }

    @Test("JSON and YAML renderings read back to the same values")
    func renderingRoundTrip() throws {
        let project = try ComposeLoader().load(
            ComposeLoadOptions(
                files: [Fixture.acceptanceDirectory + "/dockprom/docker-compose.yml"], environment: [:]))
        let value = project.plainValue()
        let fromJSON = try JSONDecoder().decode(ComposeValue.self, from: Data(value.prettyJSON().utf8))
        #expect(fromJSON.canonicalJSON() == value.canonicalJSON())
        let yaml = try value.yaml()
        let any = try #require(try Yams.load(yaml: yaml) as? [String: Any])
        let services = try #require(any["services"] as? [String: Any])
        #expect(Set(services.keys) == Set(project.serviceNames))
        let caddy = try #require(services["caddy"] as? [String: Any])
        let env = try #require(caddy["environment"] as? [String: Any])
        #expect(env["ADMIN_PASSWORD_HASH"] as? String == "$2a$14$1l.IozJx7xQRVmlkEQ32OeEEfP5mRxTpbDTCTcXRqn19gXD8YK1pO")
    }
}

@Suite("Compose service-level resource keys")
struct ResourceKeyTests {
    @Test("cpus, mem_limit and scale are normalised to typed values")
    func typed() throws {
        let (project, _) = try Fixture.load(
            """
            services:
              a:
                image: x
                cpus: 2
                mem_limit: 512m
                mem_reservation: "1g"
                memswap_limit: -1
                scale: 1
              b:
                image: x
                cpus: "0.25"
            """)
        let a = try #require(project.service(named: "a"))
        #expect(a.other["cpus"] == .double(2))
        #expect(a.other["mem_limit"] == .int(512 * 1024 * 1024))
        #expect(a.other["mem_reservation"] == .int(1024 * 1024 * 1024))
        #expect(a.other["memswap_limit"] == .int(-1))
        #expect(a.other["scale"] == .int(1))
        #expect(project.service(named: "b")?.other["cpus"] == .double(0.25))
    }
}

@Suite("Compose GPU device requests")
struct DeviceRequestTests {
    @Test("deploy.resources.reservations.devices becomes device requests (count all is -1)")
    func gpu() throws {
        let (project, _) = try Fixture.load(
            """
            services:
              model-api:
                image: x
                deploy:
                  resources:
                    reservations:
                      devices:
                        - driver: nvidia
                          count: all
                          capabilities: [gpu]
                        - driver: nvidia
                          device_ids: ["0", "1"]
                          capabilities: [gpu, utility]
            """)
        let devices = try #require(project.service(named: "model-api")?.deploy?.reservations?.devices)
        #expect(
            devices == [
                DeviceRequest(driver: "nvidia", count: -1, capabilities: ["gpu"]),
                DeviceRequest(driver: "nvidia", count: nil, deviceIDs: ["0", "1"], capabilities: ["gpu", "utility"]),
            ])
        let json = project.plainValue().canonicalJSON()
        #expect(json.contains("\"count\":\"all\""))
    }

    @Test("count and device_ids together, or a bad count, are rejected with the key path")
    func invalid() throws {
        let (diagnostics, _) = try Fixture.diagnostics(
            """
            services:
              a:
                image: x
                deploy:
                  resources:
                    reservations:
                      devices:
                        - count: some
                        - count: 1
                          device_ids: ["0"]
            """)
        #expect(
            diagnostics.map(\.path) == [
                "services.a.deploy.resources.reservations.devices[0].count",
                "services.a.deploy.resources.reservations.devices[1]",
            ])
        #expect(diagnostics.map(\.line) == [8, 9])
    }
}
