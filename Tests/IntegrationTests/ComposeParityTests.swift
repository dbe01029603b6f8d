import ArgumentParser
import Compose
import Foundation
import TestSupport
import Testing
import Yams

@testable import StackPilotCommands

/// Where Debian's docker-compose is, and whether the parity suite runs.
enum DockerComposePeer {
    static let executable: String? = ["/usr/bin/docker-compose", "/usr/local/bin/docker-compose"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    /// Present, or required (STACKPILOT_REQUIRE_ENGINE=1, as in CI): then a missing docker-compose fails instead of skipping.
    static var ready: Bool {
        ToolGate.runs(if: executable != nil, for: "ComposeParityTests", needing: "docker-compose (1.29.2)")
    }
}

/// Parity with Debian's `docker-compose config` (1.29.2, which needs no engine for `config`): for every
/// compose file under Tests/Fixtures/AcceptanceStacks and stacks/, StackPilot's normalised model (the JSON
/// `stackpilot config --format json` prints: `ComposeProject.plainValue().prettyJSON()`) and
/// docker-compose's output agree on services, images, commands, entrypoints, environment, ports,
/// volumes, networks, depends_on and healthchecks.
///
/// Both sides are brought to one comparable form; each normalisation and why:
/// 1. Both tools re-escape `$` as `$$` in their output (so it can be fed back in); every string
///    from docker-compose's side has `$$` turned back into `$`, and StackPilot's model is compared
///    before `config` escapes it (values as the container gets them).
/// 2. Ports: 1.29 prints long syntax without a host IP (`{published: 3000, target: 3000}`) but a short
///    string when there is one (`127.0.0.1:5000:5000/tcp`); StackPilot prints long syntax always,
///    with `protocol` and `mode` filled in. Both become `host_ip:published:target/protocol`
///    strings (missing host IP or published port as empty), compared as sets.
/// 3. Volumes: 1.29 prints short strings `source:target:mode` with `:rw` added; StackPilot prints long
///    syntax. Both become `type|source|target|ro-or-rw`, a source starting with `/` being a bind.
/// 4. Networks: 1.29 omits the implicit `default` network; StackPilot lists it. Compared as name sets
///    with `default` left out on both sides.
/// 5. depends_on: 1.29 turns the list form into `{service: {condition: service_started}}`; StackPilot
///    also adds `required` and `restart`. Compared as service -> condition.
/// 6. Healthcheck: 1.29 keeps a string test as a string and durations as written; StackPilot turns a
///    string test into `["CMD-SHELL", string]` and prints Go-style durations. Compared as the test
///    array and durations in nanoseconds.
/// 7. command/entrypoint: 1.29 keeps the string form as a string; StackPilot splits it as compose v2
///    does. The 1.29 string is split with the same shell-word rules before comparing.
/// 8. Environment values: 1.29 may print a number or boolean unquoted; compared as strings.
@Suite(
    "Compose parity with docker-compose config", .serialized,
    .enabled(if: DockerComposePeer.ready, "docker-compose is not installed (apt-get install docker-compose)"))
struct ComposeParityTests {
    static var dockerCompose: String? { DockerComposePeer.executable }

    static let repoRoot: String = {
        var url = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    static let files: [String] = {
        var out = [repoRoot + "/stacks/monitoring.yml", repoRoot + "/stacks/app.yml"]
        let acceptance = Fixtures.acceptanceStacks.path
        if let walker = FileManager.default.enumerator(atPath: acceptance) {
            for case let relative as String in walker {
                let name = (relative as NSString).lastPathComponent
                if (name.hasPrefix("compose") || name.hasPrefix("docker-compose") || name.hasPrefix("docker-stack")),
                    name.hasSuffix(".yml") || name.hasSuffix(".yaml")
                {
                    out.append(acceptance + "/" + relative)
                }
            }
        }
        return out.sorted()
    }()

    /// The environment both tools see: fixed, so the comparison does not depend on the caller's shell.
    static let environment = ["PATH": "/usr/bin:/bin:/usr/local/bin", "HOME": "/root", "API_LOAD_RATE": "3"]

    struct Comparable: Equatable, CustomStringConvertible {
        var image: String?
        var command: [String]?
        var entrypoint: [String]?
        var environment: [String: String] = [:]
        var ports: Set<String> = []
        var volumes: Set<String> = []
        var networks: Set<String> = []
        var dependsOn: [String: String] = [:]
        var healthTest: [String]?
        var healthDurations: [String: Int64] = [:]
        var healthRetries: Int?

        var description: String {
            "image=\(image ?? "-") command=\(command ?? []) entrypoint=\(entrypoint ?? []) env=\(environment.keys.sorted()) "
                + "ports=\(ports.sorted()) volumes=\(volumes.sorted()) networks=\(networks.sorted()) depends_on=\(dependsOn) "
                + "health=\(healthTest ?? []) \(healthDurations) retries=\(healthRetries.map(String.init) ?? "-")"
        }
    }

    @Test("stackpilot and docker-compose 1.29 agree on every stack", arguments: files)
    func parity(_ file: String) throws {
        try Self.compare(file: file, environment: Self.environment)
    }

    /// Compose features the acceptance stacks do not use: string command and entrypoint with quotes,
    /// env_file, .env, bare environment names, port ranges, empty published port, UDP, long port and
    /// volume syntax, anonymous and tmpfs volumes, aliases, long depends_on, string healthcheck test,
    /// disabled healthcheck, network_mode service:.
    @Test("stackpilot and docker-compose 1.29 agree on a file using the remaining compose features")
    func features() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sptest-parity-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.featureFile.write(toFile: dir + "/compose.yaml", atomically: true, encoding: .utf8)
        try "FROM_FILE=1\nLEVEL_FILE=x\n".write(toFile: dir + "/web.env", atomically: true, encoding: .utf8)
        try "TAG=1.27\n".write(toFile: dir + "/.env", atomically: true, encoding: .utf8)
        var environment = Self.environment
        environment["FROM_SHELL"] = "shell"
        try Self.compare(file: dir + "/compose.yaml", environment: environment)
    }

    static let featureFile = """
        services:
          web:
            image: "nginx:${TAG:-1.25}"
            command: sh -c 'echo "hi there" && sleep 10'
            entrypoint: /docker-entrypoint.sh
            env_file: [web.env]
            environment:
              - FROM_SHELL
              - LEVEL=${LEVEL:-info}
              - EMPTY=
            ports:
              - "8000-8002:9000-9002"
              - "127.0.0.1::80"
              - "53:53/udp"
              - target: 443
                published: 8443
                protocol: tcp
            expose: ["3000", 4000]
            volumes:
              - ./html:/usr/share/nginx/html:ro
              - data:/data
              - /anon
              - type: bind
                source: ./conf
                target: /etc/nginx/conf.d
                read_only: true
              - type: tmpfs
                target: /tmp
            networks:
              front:
                aliases: [www]
              back:
            depends_on:
              db:
                condition: service_healthy
              cache:
                condition: service_started
            healthcheck:
              test: curl -f http://localhost/ || exit 1
              interval: 1m30s
              timeout: 10s
              retries: 3
              start_period: 40s
          db:
            image: postgres:16
            environment:
              POSTGRES_PASSWORD: ${DB_PASSWORD:-secret}
              PORT: 5432
            healthcheck:
              test: ["CMD-SHELL", "pg_isready -U postgres"]
              interval: 5s
            networks: [back]
          cache:
            image: redis
            network_mode: "service:db"
            healthcheck:
              disable: true
        networks:
          front:
          back:
        volumes:
          data:
        """

    static func compare(file: String, environment: [String: String]) throws {
        let executable = try #require(Self.dockerCompose, "docker-compose is required (STACKPILOT_REQUIRE_ENGINE=1) but not installed")
        let peerText = try Self.run(
            executable, ["-p", "sptest", "-f", file, "config"], in: (file as NSString).deletingLastPathComponent,
            environment: environment)
        let peer = try #require(try Yams.load(yaml: peerText) as? [String: Any])
        let peerServices = try #require(peer["services"] as? [String: Any])

        let project = try ComposeLoader().load(ComposeLoadOptions(files: [file], projectName: "sptest", environment: environment))
        let json = project.plainValue().prettyJSON()  // `stackpilot config --format json -f FILE` before `$` becomes `$$`
        let ours = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let ourServices = try #require(ours["services"] as? [String: Any])
        #expect(Set(ourServices.keys) == Set(peerServices.keys))
        var compared = 0
        for name in peerServices.keys.sorted() {
            guard let theirs = peerServices[name] as? [String: Any], let mine = ourServices[name] as? [String: Any] else { continue }
            let a = try Self.fromPeer(theirs)
            let b = Self.fromStackPilot(mine)
            compared += a.environment.count + a.ports.count + a.volumes.count + a.networks.count + (a.command?.count ?? 0)
            #expect(a.image == b.image, "\(name): image")
            #expect(a.command == b.command, "\(name): command")
            #expect(a.entrypoint == b.entrypoint, "\(name): entrypoint")
            #expect(a.environment == b.environment, "\(name): environment")
            #expect(a.ports == b.ports, "\(name): ports")
            #expect(a.volumes == b.volumes, "\(name): volumes")
            #expect(a.networks == b.networks, "\(name): networks")
            #expect(a.dependsOn == b.dependsOn, "\(name): depends_on")
            #expect(a.healthTest == b.healthTest, "\(name): healthcheck test")
            #expect(a.healthDurations == b.healthDurations, "\(name): healthcheck durations")
            #expect(a.healthRetries == b.healthRetries, "\(name): healthcheck retries")
        }
        #expect(compared > 0, "nothing was compared: docker-compose printed no environment, ports, volumes, networks or commands")
    }

    @Test("both tools reject the same broken file (undefined volume), and neither touches the engine")
    func bothReject() throws {
        let executable = try #require(Self.dockerCompose)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sptest-parity-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = dir + "/compose.yaml"
        try "services:\n  a:\n    image: busybox\n    volumes:\n      - data:/data\n".write(toFile: file, atomically: true, encoding: .utf8)
        #expect(throws: (any Error).self) { try Self.run(executable, ["-f", file, "config"], in: dir, environment: Self.environment) }
        do {
            _ = try ComposeLoader().load(ComposeLoadOptions(files: [file], environment: Self.environment))
            Issue.record("StackPilot accepted an undefined volume")
        } catch {
            #expect(error.diagnostics.first?.path == "services.a.volumes[0]")
            #expect(error.diagnostics.first?.line == 5)
        }
    }

    // MARK: - Normalisation

    static func unescape(_ value: Any?) -> String? {
        guard let value, !(value is NSNull) else { return nil }
        let text: String
        if let s = value as? String { text = s } else if let b = value as? Bool { text = b ? "true" : "false" } else { text = "\(value)" }
        return text.replacingOccurrences(of: "$$", with: "$")
    }

    static func words(_ value: Any?) throws -> [String]? {
        if let list = value as? [Any] { return list.compactMap { unescape($0) } }
        if let text = unescape(value) { return try ShellWords.split(text) }
        return nil
    }

    static func fromPeer(_ s: [String: Any]) throws -> Comparable {
        var c = Comparable()
        c.image = unescape(s["image"])
        c.command = try words(s["command"])
        c.entrypoint = try words(s["entrypoint"])
        for (k, v) in s["environment"] as? [String: Any] ?? [:] { if let value = unescape(v) { c.environment[k] = value } }
        for port in s["ports"] as? [Any] ?? [] {
            if let text = port as? String {
                // [host_ip:]published:target/protocol
                var spec = text, proto = "tcp"
                if let slash = spec.lastIndex(of: "/") { proto = String(spec[spec.index(after: slash)...]); spec = String(spec[..<slash]) }
                var parts = spec.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
                let target = parts.removeLast()
                let published = parts.popLast() ?? ""
                let ip = parts.joined(separator: ":")
                c.ports.insert("\(ip):\(published):\(target)/\(proto)")
            } else if let long = port as? [String: Any] {
                c.ports.insert(
                    "\(unescape(long["host_ip"]) ?? ""):\(unescape(long["published"]) ?? ""):\(unescape(long["target"]) ?? "")/\(unescape(long["protocol"]) ?? "tcp")"
                )
            }
        }
        for volume in s["volumes"] as? [Any] ?? [] {
            if let long = volume as? [String: Any] {
                let ro = (long["read_only"] as? Bool) == true ? "ro" : "rw"
                c.volumes.insert("\(unescape(long["type"]) ?? "")|\(unescape(long["source"]) ?? "")|\(unescape(long["target"]) ?? "")|\(ro)")
            } else if let text = unescape(volume) {
                let parts = text.split(separator: ":").map(String.init)
                let source = parts.count > 1 ? parts[0] : ""
                let target = parts.count > 1 ? parts[1] : parts[0]
                let mode = parts.count > 2 ? parts[2] : "rw"
                let type = source.hasPrefix("/") ? "bind" : "volume"
                c.volumes.insert("\(type)|\(source)|\(target)|\(mode.split(separator: ",").contains("ro") ? "ro" : "rw")")
            }
        }
        if let map = s["networks"] as? [String: Any] { c.networks = Set(map.keys) } else if let list = s["networks"] as? [String] { c.networks = Set(list) }
        c.networks.remove("default")
        for (k, v) in s["depends_on"] as? [String: Any] ?? [:] {
            c.dependsOn[k] = unescape((v as? [String: Any])?["condition"]) ?? "service_started"
        }
        if let h = s["healthcheck"] as? [String: Any] {
            if let list = h["test"] as? [Any] {
                c.healthTest = list.compactMap { unescape($0) }
            } else if let t = unescape(h["test"]) {
                c.healthTest = ["CMD-SHELL", t]
            }
            for key in ["interval", "timeout", "start_period", "start_interval"] {
                if let text = unescape(h[key]) { c.healthDurations[key] = try #require(ComposeDuration(parsing: text)).nanoseconds }
            }
            c.healthRetries = h["retries"] as? Int
            if (h["disable"] as? Bool) == true { c.healthTest = ["NONE"] }
        }
        return c
    }

    static func fromStackPilot(_ s: [String: Any]) -> Comparable {
        var c = Comparable()
        c.image = s["image"] as? String
        c.command = s["command"] as? [String]
        c.entrypoint = s["entrypoint"] as? [String]
        c.environment = s["environment"] as? [String: String] ?? [:]
        for case let port as [String: Any] in s["ports"] as? [Any] ?? [] {
            c.ports.insert(
                "\(port["host_ip"] as? String ?? ""):\(port["published"] as? String ?? ""):\(port["target"] as? Int ?? 0)/\(port["protocol"] as? String ?? "")")
        }
        for case let v as [String: Any] in s["volumes"] as? [Any] ?? [] {
            c.volumes.insert(
                "\(v["type"] as? String ?? "")|\(v["source"] as? String ?? "")|\(v["target"] as? String ?? "")|\((v["read_only"] as? Bool) == true ? "ro" : "rw")"
            )
        }
        c.networks = Set((s["networks"] as? [String: Any] ?? [:]).keys)
        c.networks.remove("default")
        for (k, v) in s["depends_on"] as? [String: Any] ?? [:] { c.dependsOn[k] = (v as? [String: Any])?["condition"] as? String }
        if let h = s["healthcheck"] as? [String: Any] {
            c.healthTest = h["test"] as? [String]
            for key in ["interval", "timeout", "start_period", "start_interval"] {
                if let text = h[key] as? String, let d = ComposeDuration(parsing: text) { c.healthDurations[key] = d.nanoseconds }
            }
            c.healthRetries = h["retries"] as? Int
            if (h["disable"] as? Bool) == true { c.healthTest = ["NONE"] }
        }
        return c
    }

    struct PeerFailed: Error, CustomStringConvertible {
        var status: Int32
        var stderr: String
        var description: String { "docker-compose exited \(status): \(stderr)" }
    }

    static func run(_ executable: String, _ arguments: [String], in directory: String, environment: [String: String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.environment = environment
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw PeerFailed(status: process.terminationStatus, stderr: String(decoding: errData, as: UTF8.self))
        }
        return String(decoding: data, as: UTF8.self)
    }
}

/// `stackpilot config` in-process: what it prints, and that bad input is exit code 2 (it never builds
/// an engine client, so an invalid stack cannot reach the engine).
@Suite("stackpilot config")
struct ConfigCommandTests {
    static var repoRoot: String { ComposeParityTests.repoRoot }

    static func temporary(_ files: [String: String]) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sptest-config-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for (name, text) in files { try text.write(toFile: dir + "/" + name, atomically: true, encoding: .utf8) }
        return dir
    }

    @Test("without -f it prints the whole deployment of the manifest, secrets redacted")
    func wholeDeployment() throws {
        let command = try StackPilot.Config.parse(["--manifest", Self.repoRoot + "/stacks/stackpilot.yml", "--format", "json"])
        let text = try #require(try command.output())
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let projects = try #require(doc["projects"] as? [[String: Any]])
        #expect(projects.map { $0["name"] as? String } == ["stackpilot-monitoring", "stackpilot-app"])
        let services = projects.flatMap { ($0["services"] as? [String: Any] ?? [:]).keys }.sorted()
        #expect(services == ["api", "engine-proxy", "exporter", "grafana", "model-api", "node-exporter", "prometheus"])
        let grafana = try #require((projects[0]["services"] as? [String: Any])?["grafana"] as? [String: Any])
        let env = try #require(grafana["environment"] as? [String: String])
        #expect(env["GF_SECURITY_ADMIN_PASSWORD"] == "********")
        #expect(env["GF_SECURITY_ADMIN_USER"] == "********")  // "admin", the password's value, is masked wherever it appears
        let yaml = try #require(try StackPilot.Config.parse(["--manifest", Self.repoRoot + "/stacks/stackpilot.yml"]).output())
        #expect(yaml.components(separatedBy: "\n---\n").count == 2)
    }

    @Test("--show-secrets shows the value; --services lists start order; --hash prints one line per service")
    func flags() throws {
        let file = Self.repoRoot + "/stacks/monitoring.yml"
        let shown = try #require(try StackPilot.Config.parse(["-f", file, "--format", "json", "--show-secrets"]).output())
        #expect(shown.contains("\"GF_SECURITY_ADMIN_PASSWORD\": \"admin\""))
        let names = try #require(try StackPilot.Config.parse(["-f", Self.repoRoot + "/stacks/app.yml", "--services"]).output())
        #expect(names == "model-api\napi")
        let hashes = try #require(try StackPilot.Config.parse(["-f", file, "--hash", "*"]).output()).split(separator: "\n")
        #expect(hashes.count == 5, "engine-proxy, exporter, grafana, node-exporter, prometheus")
        #expect(hashes.allSatisfy { $0.split(separator: " ").last?.count == 64 })
        let one = try #require(try StackPilot.Config.parse(["-f", file, "--hash", "grafana"]).output())
        #expect(one.hasPrefix("grafana ") && hashes.contains(Substring(one)))
    }

    @Test("an invalid stack, an unknown --hash service and a missing file exit 2")
    func badInput() throws {
        let dir = try Self.temporary(["bad.yml": "services:\n  a:\n    image: x\n    ports: [\"99999:80\"]\n"])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(Self.failure { try StackPilot.Config.parse(["-f", dir + "/bad.yml"]).output() } == .badInput)
        #expect(Self.failure { try StackPilot.Config.parse(["-f", Self.repoRoot + "/stacks/app.yml", "--hash", "nope"]).output() } == .badInput)
        #expect(Self.failure { try StackPilot.Config.parse(["-f", dir + "/missing.yml"]).output() } == .badInput)
        #expect(Self.failure { try StackPilot.Config.parse(["--manifest", dir + "/none.yml"]).output() } == .badInput)
        #expect(try StackPilot.Config.parse(["-f", Self.repoRoot + "/stacks/app.yml", "-q"]).output() == nil)
    }

    /// The kind of `CommandFailure` that `body` throws; nil when it throws none.
    static func failure(_ body: () throws -> Any?) -> CommandFailure.Kind? {
        do { _ = try body() } catch let failure as CommandFailure { return failure.kind } catch {}
        return nil
    }
}
