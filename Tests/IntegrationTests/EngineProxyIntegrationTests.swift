import DockerEngine
import EngineProxy
import Foundation
import HTTPTransport
import Logging
import Synchronization
import TestSupport
import Testing

/// `stackpilot engine-proxy` in front of the real engine: what the exporter needs passes, the rest
/// is answered 403 and never reaches the engine (issue 16, item 6).
@Suite("engine-proxy, against the real engine", .serialized, .requiresEngine)
struct EngineProxyIntegrationTests {
    /// Runs the proxy in this process on a socket of its own in front of the test engine while
    /// `body` runs with a client of that socket.
    static func withProxy<T>(
        _ fixture: EngineFixture, policy: EngineProxy.Policy,
        _ body: (_ client: DockerEngine.Client, _ socket: String) async throws -> T
    ) async throws -> T {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(fixture.name("proxy"))
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        fixture.onCleanup("directory \(directory.path)") { try? FileManager.default.removeItem(at: directory) }
        let socket = directory.appendingPathComponent("engine.sock").path
        let upstream = try CurlTransport(endpoint: fixture.engine.endpoint)
        let running = Mutex(false)
        var logger = Logger(label: "test.engine-proxy")
        logger.logLevel = .critical
        let service = EngineProxy.Server.makeService(
            engine: upstream, socketPath: socket, socketMode: 0o600, policy: policy,
            logger: logger, onRunning: { running.withLock { $0 = true } })
        return try await TestServers.with({ try await service.run() }) {
            let started = await EngineFixture.eventually(timeout: .seconds(30)) { running.withLock { $0 } }
            try #require(started, "the proxy did not start on \(socket)")
            let client = try DockerEngine.Client(host: DockerEngine.Host.resolve(host: "unix://\(socket)", environment: [:]))
            return try await body(client, socket)
        }
    }

    /// The status of a refused call, or nil when it went through.
    static func status(_ call: () async throws -> Void) async -> Int? {
        do {
            try await call()
            return nil
        } catch let error as DockerEngine.Error {
            if case .http(let status, _) = error { return status }
            return -1
        } catch {
            return -1
        }
    }

    @Test("the calls supervise makes pass through the proxy; create, kill, remove, logs and restart (without --allow-restart) are 403 and change nothing")
    func readsPassWritesRefused() async throws {
        try await EngineFixture.with(area: "proxy") { fixture in
            let id = try await fixture.sleeper(networkMode: "none")
            let before = try await fixture.engine.inspectContainer(id)
            try await Self.withProxy(fixture, policy: .init(allowRestart: false)) { client, socket in
                _ = try await client.ping()
                #expect(try await client.version().apiVersion.isEmpty == false)
                _ = try await client.info()
                let listed = try await client.listContainers(filters: DockerEngine.Filters().label("\(EngineFixture.labelKey)=\(fixture.prefix)"))
                #expect(listed.map(\.id) == [id])
                #expect(try await client.inspectContainer(id).id == id)
                let stats = try await client.stats(id)
                #expect(stats.id == id || stats.name?.isEmpty == false)
                // The events stream, open as supervise keeps it, passes live events through: a second
                // sleeper started on the engine directly after the stream opened is seen starting
                // (bounded by 30 s). Not a replay with `since`: the engine keeps only its last 256
                // events, which a busy engine overwrites within seconds.
                let events = try await client.events(
                    filters: DockerEngine.Filters().type("container")
                        .label("\(EngineFixture.labelKey)=\(fixture.prefix)"))
                _ = try await fixture.sleeper("second-sleeper", networkMode: "none")
                let actions = try await withThrowingTaskGroup(of: [String].self) { group in
                    group.addTask {
                        var seen: [String] = []
                        for try await event in events {
                            seen.append(event.action ?? "")
                            if event.action == "start" { break }
                        }
                        return seen
                    }
                    group.addTask {
                        try await Task.sleep(for: .seconds(30))
                        return ["(no start event within 30 s)"]
                    }
                    let first = try await group.next() ?? []
                    group.cancelAll()
                    return first
                }
                #expect(actions.contains("start"), "\(actions)")

                let image = try await TestImages.busybox(fixture.engine)
                #expect(
                    await Self.status {
                        _ = try await client.createContainer(
                            name: fixture.name("smuggled"), DockerEngine.ContainerConfig(image: image, cmd: ["true"], labels: fixture.labels))
                    } == 403)
                #expect(await Self.status { try await client.killContainer(id) } == 403)
                #expect(await Self.status { try await client.removeContainer(id, force: true) } == 403)
                #expect(await Self.status { try await client.restartContainer(id, timeout: 1) } == 403)
                #expect(await Self.status { try await client.stopContainer(id, timeout: 1) } == 403)
                #expect(await Self.status { _ = try await client.logs(id) } == 403)

                // Raw targets a client library would not send: encoded dot segments, exec.
                let raw = try CurlTransport(endpoint: HTTPEndpoint(address: .unixSocket(path: socket)))
                for (method, target, reason) in [
                    (HTTPMethod.get, "/v1.41/containers/\(id)/%2e%2e/%2e%2e/images/json", "encoded"),
                    (.post, "/v1.41/containers/\(id)/exec", "not-allowed"),
                    (.post, "/v1.41/containers/create", "not-allowed"),
                ] {
                    let response = try await raw.send(
                        HTTPRequest(
                            method: method, path: target, headers: [(name: "Content-Type", value: "application/json")],
                            body: Data(#"{"Cmd":["id"],"Image":"x"}"#.utf8)))
                    #expect(response.status == 403, "\(target)")
                    let message = try JSONSerialization.jsonObject(with: response.body) as? [String: String]
                    #expect(message?["message"]?.contains("(\(reason))") == true, "\(String(decoding: response.body, as: UTF8.self))")
                }
            }
            // Nothing reached the engine: still running, never restarted, no new container.
            let after = try await fixture.engine.inspectContainer(id)
            #expect(after.state?.running == true)
            #expect(after.state?.startedAt == before.state?.startedAt)
            let all = try await fixture.engine.listContainers(filters: DockerEngine.Filters().label("\(EngineFixture.labelKey)=\(fixture.prefix)"))
            #expect(all.count == 2 && all.contains { $0.id == id }, "only the two sleepers the test started itself: \(all.map(\.id))")
        }
    }

    @Test("with --allow-restart the healer's restart passes, and only that")
    func restartAllowed() async throws {
        try await EngineFixture.with(area: "proxy") { fixture in
            let id = try await fixture.sleeper(networkMode: "none")
            let before = try await fixture.engine.inspectContainer(id).state?.startedAt
            try await Self.withProxy(fixture, policy: .init(allowRestart: true)) { client, _ in
                try await client.restartContainer(id, timeout: 1)
                #expect(await Self.status { try await client.killContainer(id) } == 403)
            }
            let after = try await fixture.engine.inspectContainer(id).state
            #expect(after?.running == true)
            #expect(after?.startedAt != before)
        }
    }
}
