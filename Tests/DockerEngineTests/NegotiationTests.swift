import Foundation
import Hummingbird
import NIOCore
import Synchronization
import Testing

@testable import DockerEngine

/// API version negotiation is single-flight: a fresh client (and its copies) sends one `/_ping`
/// however many requests start together. The engine is a stub on a unix socket, reached through the
/// real `CurlTransport`; its `/_ping` holds its answer until the test opens a gate, so every caller
/// is known to be waiting before the ping is answered.
@Suite("DockerEngine.Client: one version ping for concurrent first requests")
struct NegotiationTests {
    /// The stub engine's state: pings seen, the gate, and how many pings fail with a 500.
    final class Engine: Sendable {
        let pings = Mutex(0)
        let versionPaths = Mutex<[String]>([])
        let open = Mutex(false)
        let failingPings = Mutex(0)

        init(failingPings: Int = 0) { self.failingPings.withLock { $0 = failingPings } }

        var pingCount: Int { pings.withLock { $0 } }
        func openGate() { open.withLock { $0 = true } }

        var router: Router<BasicRequestContext> {
            let router = Router()
            router.get("/_ping") { _, _ in
                self.pings.withLock { $0 += 1 }
                while !self.open.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(5)) }
                let fail = self.failingPings.withLock { count in
                    defer { count = max(0, count - 1) }
                    return count > 0
                }
                if fail {
                    return Response(
                        status: .internalServerError, headers: [.contentType: "application/json"],
                        body: .init(byteBuffer: ByteBuffer(string: "{\"message\":\"the engine is starting\"}")))
                }
                var headers = HTTPFields()
                headers[HTTPFields.Element.Name("API-Version")!] = "1.41"
                headers[HTTPFields.Element.Name("OSType")!] = "linux"
                return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: "OK")))
            }
            router.get("/:version/version") { request, _ in
                self.versionPaths.withLock { $0.append(request.uri.path) }
                return Response(
                    status: .ok, headers: [.contentType: "application/json"],
                    body: .init(byteBuffer: ByteBuffer(string: "{\"Version\":\"20.10.24\",\"ApiVersion\":\"1.41\",\"MinAPIVersion\":\"1.12\"}")))
            }
            return router
        }
    }

    /// Polls `condition` every 10 ms for up to a minute (a loaded CI machine can be slow to start tasks).
    static func eventually(_ what: @autoclosure () -> String, _ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while !condition() {
            guard ContinuousClock.now < deadline else {
                Issue.record("timed out waiting until \(what())")
                throw CancellationError()
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Runs `count` calls at once and returns each one's outcome.
    static func together(
        _ count: Int, _ call: @escaping @Sendable (Int) async throws -> DockerEngine.VersionResponse
    ) async -> [Result<DockerEngine.VersionResponse, any Error>] {
        await withTaskGroup(of: Result<DockerEngine.VersionResponse, any Error>.self) { group in
            for index in 0..<count {
                group.addTask {
                    do { return .success(try await call(index)) } catch { return .failure(error) }
                }
            }
            var outcomes: [Result<DockerEngine.VersionResponse, any Error>] = []
            for await outcome in group { outcomes.append(outcome) }
            return outcomes
        }
    }

    static func isCancellation(_ error: (any Error)?) -> Bool {
        guard case .transport(_, let underlying)? = error as? DockerEngine.Error else { return false }
        return underlying is CancellationError
    }

    @Test("20 requests started together on a fresh client and its copy send one ping and all use its version")
    func oneSharedPing() async throws {
        let engine = Engine()
        try await StubEngineServerTests.serve(engine.router) { client in
            let copy = client
            async let outcomes = Self.together(20) { index in try await (index.isMultiple(of: 2) ? client : copy).version() }
            try await Self.eventually("all 20 wait for the ping (waiting: \(client.callersWaitingForPing), pings: \(engine.pingCount))") {
                client.callersWaitingForPing == 20 && engine.pingCount == 1
            }
            engine.openGate()
            let results = await outcomes
            #expect(results.count == 20)
            for result in results {
                #expect(try result.get().version == "20.10.24")
            }
            #expect(engine.pingCount == 1)
            #expect(engine.versionPaths.withLock { $0 } == Array(repeating: "/v1.41/version", count: 20))
            // Known now: later calls, on either copy, do not ping.
            #expect(try await copy.apiVersion() == DockerEngine.APIVersion(1, 41))
            _ = try await client.version()
            #expect(engine.pingCount == 1)
            #expect(client.callersWaitingForPing == 0)
        }
    }

    @Test("a failed ping's error goes to every caller waiting for it, is not kept, and the next call pings again")
    func failedPingIsNotCached() async throws {
        let engine = Engine(failingPings: 1)
        try await StubEngineServerTests.serve(engine.router) { client in
            async let outcomes = Self.together(10) { _ in try await client.version() }
            try await Self.eventually("all 10 wait for the ping (waiting: \(client.callersWaitingForPing), pings: \(engine.pingCount))") {
                client.callersWaitingForPing == 10 && engine.pingCount == 1
            }
            engine.openGate()
            let results = await outcomes
            #expect(results.count == 10)
            for result in results {
                guard case .failure(let error) = result, case .http(let status, let message)? = error as? DockerEngine.Error else {
                    Issue.record("expected .http(500), got \(result)")
                    continue
                }
                #expect(status == 500)
                #expect(message == "the engine is starting")
            }
            #expect(engine.pingCount == 1)
            #expect(engine.versionPaths.withLock { $0 }.isEmpty)

            let version = try await client.version()
            #expect(version.apiVersion == "1.41")
            #expect(engine.pingCount == 2)
        }
    }

    @Test("a caller cancelled while waiting stops waiting at once; the others still get the one ping's version")
    func cancelledWaiterLeaves() async throws {
        let engine = Engine()
        try await StubEngineServerTests.serve(engine.router) { client in
            let leaving = Task { try await client.version() }
            async let outcomes = Self.together(5) { _ in try await client.version() }
            try await Self.eventually("all 6 wait for the ping (waiting: \(client.callersWaitingForPing), pings: \(engine.pingCount))") {
                client.callersWaitingForPing == 6 && engine.pingCount == 1
            }
            leaving.cancel()
            // The gate is still shut: the cancelled caller got its answer without the ping's.
            let left = await leaving.result
            #expect(Self.isCancellation(left.error), "expected a cancelled request, got \(left)")
            #expect(client.callersWaitingForPing == 5)
            engine.openGate()
            for result in await outcomes {
                #expect(try result.get().apiVersion == "1.41")
            }
            #expect(engine.pingCount == 1)
        }
    }

    @Test("when every caller is cancelled the ping is dropped, and the next call sends a new one")
    func abandonedPing() async throws {
        let engine = Engine()
        try await StubEngineServerTests.serve(engine.router) { client in
            let callers = (0..<3).map { _ in Task { try await client.version() } }
            try await Self.eventually("all 3 wait for the ping (waiting: \(client.callersWaitingForPing), pings: \(engine.pingCount))") {
                client.callersWaitingForPing == 3 && engine.pingCount == 1
            }
            for caller in callers { caller.cancel() }
            for caller in callers {
                let result = await caller.result
                #expect(Self.isCancellation(result.error), "expected a cancelled request, got \(result)")
            }
            #expect(client.callersWaitingForPing == 0)
            engine.openGate()
            let version = try await client.version()
            #expect(version.version == "20.10.24")
            #expect(engine.pingCount == 2)
        }
    }

    @Test("a pinned version never pings, however many requests start together")
    func pinnedNeverPings() async throws {
        let engine = Engine()
        engine.openGate()
        try await StubEngineServerTests.serve(engine.router, apiVersion: DockerEngine.APIVersion(1, 41)) { client in
            let results = await Self.together(10) { _ in try await client.version() }
            #expect(results.count == 10)
            for result in results {
                let version = try result.get()
                #expect(version.version == "20.10.24")
            }
            #expect(engine.pingCount == 0)
            #expect(engine.versionPaths.withLock { $0 }.count == 10)
        }
    }
}

extension Result {
    fileprivate var error: Failure? {
        if case .failure(let error) = self { error } else { nil }
    }
}
