import Compose
import Foundation
import Logging
import Testing
@testable import Orchestration

@Suite("Orchestration.DesiredProject from the compose model")
struct ComposeAdapterTests {
    /// One directory for every load, so relative paths resolve the same way each time.
    static let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sp-adapter-\(UUID().uuidString)")

    static func load(_ yaml: String, name: String = "adapt") throws -> Orchestration.DesiredProject {
        let dir = directory.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = directory.appendingPathComponent("compose-\(UUID().uuidString).yml")
        defer { try? FileManager.default.removeItem(at: file) }
        try yaml.write(to: file, atomically: true, encoding: .utf8)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let project = try ComposeLoader(logger: logger).load(ComposeLoadOptions(files: [file.path], projectName: name, environment: [:]))
        return Orchestration.DesiredProject(compose: project)
    }

    static let stack = """
    services:
      api:
        image: example/api:1
        command: ["serve", "--port", "5000"]
        environment:
          MODE: prod
        ports:
          - "127.0.0.1:5000:5000"
        expose: ["9000"]
        volumes:
          - ./data:/data:ro
          - type: bind
            source: /definitely/not/here
            target: /config
          - cache:/cache
        restart: unless-stopped
        healthcheck:
          test: ["CMD", "wget", "-q", "--spider", "http://localhost:5000/health"]
          interval: 10s
          retries: 3
        depends_on:
          model:
            condition: service_healthy
            restart: true
        labels:
          team: ml
        deploy:
          resources:
            limits:
              cpus: "0.5"
              memory: 256M
      model:
        image: example/model:1
        networks:
          default:
          backend:
            aliases: [inference]
    volumes:
      cache: {}
    networks:
      backend: {}
    """

    @Test("the create body carries command, environment, ports, mounts, restart policy, healthcheck and limits")
    func createBody() throws {
        let p = try Self.load(Self.stack)
        let api = try #require(p.service("api"))
        let c = api.container
        #expect(c.Image == "example/api:1")
        #expect(c.Cmd == ["serve", "--port", "5000"])
        #expect(c.Env == ["MODE=prod"])
        #expect(c.Labels?["team"] == "ml")
        #expect(c.ExposedPorts?.keys.sorted() == ["5000/tcp", "9000/tcp"])
        #expect(c.HostConfig?.PortBindings?["5000/tcp"] == [.init(HostIp: "127.0.0.1", HostPort: "5000")])
        #expect(c.HostConfig?.RestartPolicy?.Name == "unless-stopped")
        #expect(c.Healthcheck?.Interval == 10_000_000_000)
        #expect(c.Healthcheck?.Retries == 3)
        #expect(c.HostConfig?.NanoCpus == 500_000_000)
        #expect(c.HostConfig?.Memory == Int64(268_435_456))
        // Short-syntax bind: Binds (the engine creates a missing directory, as compose does).
        #expect(c.HostConfig?.Binds?.count == 1)
        #expect(c.HostConfig?.Binds?.first?.hasSuffix(":/data:ro") == true)
        // Long-syntax bind: a mount whose source is checked before anything is touched.
        #expect(api.bindSources == ["/definitely/not/here"])
        #expect(c.HostConfig?.Mounts?.contains { $0.Type == "volume" && $0.Source == "adapt_cache" && $0.Target == "/cache" } == true)
        #expect(api.publishedPorts == [.init(hostIP: "127.0.0.1", hostPort: 5000, proto: "tcp")])
        #expect(api.hasHealthcheck)
        #expect(api.dependencies == [.init(service: "model", condition: .serviceHealthy, required: true, restart: true)])
        #expect(!api.configHash.isEmpty)
    }

    @Test("networks get the service name as alias, plus the declared ones")
    func networks() throws {
        let p = try Self.load(Self.stack)
        let model = try #require(p.service("model"))
        let endpoints = try #require(model.container.NetworkingConfig?.EndpointsConfig)
        #expect(Set(endpoints.keys) == ["adapt_default", "adapt_backend"])
        #expect(endpoints["adapt_backend"]?.Aliases == ["model", "inference"])
        #expect(Set(p.networks.map(\.name)) == ["adapt_default", "adapt_backend"])
        #expect(p.volumes.map(\.name) == ["adapt_cache"])
    }

    @Test("changing one field changes the config hash and only that field's hash")
    func fieldHashes() throws {
        let a = try #require(try Self.load(Self.stack).service("api"))
        let b = try #require(try Self.load(Self.stack.replacingOccurrences(of: "MODE: prod", with: "MODE: test")).service("api"))
        #expect(a.configHash != b.configHash)
        #expect(Orchestration.Planner.changedFields(old: a.fieldHashes, new: b.fieldHashes) == ["environment"])
        // depends_on does not count, as in compose.
        let c = try #require(try Self.load(Self.stack.replacingOccurrences(of: "restart: true", with: "restart: false")).service("api"))
        #expect(a.configHash == c.configHash)
    }
}

@Suite("Orchestration.DockerIgnore")
struct DockerIgnoreTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var patterns: [String]
        var path: String
        var excluded: Bool
        var testDescription: String { "\(patterns) \(path) -> \(excluded)" }
    }

    @Test(".dockerignore patterns exclude and re-include as the docker CLI does", arguments: [
        Case(patterns: ["*.log"], path: "app.log", excluded: true),
        Case(patterns: ["*.log"], path: "logs/app.log", excluded: false),
        Case(patterns: ["**/*.log"], path: "logs/deep/app.log", excluded: true),
        Case(patterns: ["**/*.log"], path: "app.log", excluded: true),
        Case(patterns: [".build"], path: ".build/debug/x.o", excluded: true),
        Case(patterns: ["/secret/"], path: "secret/key.pem", excluded: true),
        Case(patterns: ["*", "!src"], path: "src/main.swift", excluded: false),
        Case(patterns: ["*", "!src"], path: "README.md", excluded: true),
        Case(patterns: ["# comment", ""], path: "anything", excluded: false),
        Case(patterns: ["docs/*.md", "!docs/keep.md"], path: "docs/keep.md", excluded: false),
    ])
    func patterns(_ c: Case) {
        #expect(Orchestration.DockerIgnore(patterns: c.patterns).excludes(c.path) == c.excluded)
    }

    @Test("a build context leaves out what .dockerignore names but always keeps the Dockerfile")
    func archive() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sp-ctx-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("secret"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try "FROM scratch\n".write(to: dir.appendingPathComponent("Dockerfile"), atomically: true, encoding: .utf8)
        try "Dockerfile\nsecret\n".write(to: dir.appendingPathComponent(".dockerignore"), atomically: true, encoding: .utf8)
        try "k".write(to: dir.appendingPathComponent("secret/key.pem"), atomically: true, encoding: .utf8)
        try "hi".write(to: dir.appendingPathComponent("hello.txt"), atomically: true, encoding: .utf8)
        let tar = try Orchestration.BuildContext.archive(directory: dir.path)
        let text = String(decoding: tar, as: UTF8.self)
        #expect(text.contains("Dockerfile"))
        #expect(text.contains("hello.txt"))
        #expect(!text.contains("key.pem"))
    }
}

@Suite("Orchestration.Preflight")
struct PreflightTests {
    @Test("a port held by a listening socket is reported as in use, a free one is not")
    func portInUse() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(fd >= 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        try #require(bound == 0)
        try #require(listen(fd, 1) == 0)
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        let port = Int(UInt16(bigEndian: addr.sin_port))
        #expect(!Orchestration.Preflight.isFree(.init(hostIP: "127.0.0.1", hostPort: port)))
        #expect(!Orchestration.Preflight.isFree(.init(hostIP: "", hostPort: port)))
        close(fd)
        #expect(Orchestration.Preflight.isFree(.init(hostIP: "127.0.0.1", hostPort: port)))
    }
}
