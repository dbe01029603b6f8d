import DockerEngine
import Foundation
import HTTPTransport
import Orchestration
import Synchronization
import TestSupport
import Testing

/// Passes requests to the real engine until a fault is armed: then either the engine refuses one
/// kind of write (an error answer), or it "dies" right after one kind of write succeeded (every
/// later write fails as a broken connection would), the way a crash or a kill leaves things.
final class FaultTransport: HTTPTransport {
    enum Fault: Sendable {
        case none
        /// Writes whose path contains the text are answered with this status and message.
        case refuse(pathContaining: String, status: Int, message: String)
        /// Once a write whose path contains the text has succeeded, every later write fails.
        case dieAfter(pathContaining: String)
    }

    let inner: any HTTPTransport
    private let state = Mutex<(fault: Fault, dead: Bool)>((.none, false))

    init(_ inner: any HTTPTransport) { self.inner = inner }

    func arm(_ fault: Fault) { state.withLock { $0 = (fault, false) } }

    private func isWrite(_ r: HTTPRequest) -> Bool { r.method != .get && r.method != .head }

    private func before(_ r: HTTPRequest) throws -> HTTPResponse? {
        guard isWrite(r) else { return nil }
        return try state.withLock { s in
            if s.dead {
                throw CurlError(kind: .connectionLost, code: 55, message: "the engine died (injected)", endpoint: "fault", request: r.path)
            }
            if case .refuse(let text, let status, let message) = s.fault, r.path.contains(text) {
                return HTTPResponse(status: status, headers: [], body: Data("{\"message\":\"\(message)\"}".utf8))
            }
            return nil
        }
    }

    private func after(_ r: HTTPRequest) {
        guard isWrite(r) else { return }
        state.withLock { s in
            if case .dieAfter(let text) = s.fault, r.path.contains(text) { s.dead = true }
        }
    }

    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        if let refused = try before(request) { return refused }
        let response = try await inner.send(request)
        after(request)
        return response
    }

    func stream(_ request: HTTPRequest) async throws -> HTTPStreamingResponse {
        if try before(request) != nil {
            throw CurlError(kind: .connectionLost, code: 55, message: "refused (injected)", endpoint: "fault", request: request.path)
        }
        let response = try await inner.stream(request)
        after(request)
        return response
    }
}

@Suite("Recreate under faults, against the real engine", .serialized, .requiresEngine)
struct RecreateFaultTests {
    static func stack(image: String, mode: String) -> String {
        """
        services:
          api:
            image: \(image)
            command: ["sleep", "3600"]
            stop_grace_period: 1s
            environment:
              MODE: \(mode)
        """
    }

    /// An executor whose engine calls go through `faults`.
    static func faultyExecutor(_ f: OrchestrationFixture) throws -> (Orchestration.Executor, FaultTransport) {
        let host = try DockerEngine.Host.resolve()
        let faults = FaultTransport(try CurlTransport(endpoint: host.endpoint))
        let client = DockerEngine.Client(endpoint: host.endpoint, transport: faults)
        return (Orchestration.Executor(engine: Orchestration.DockerEngineBackend(client: client)), faults)
    }

    static func up(_ f: OrchestrationFixture, _ executor: Orchestration.Executor) async throws -> Orchestration.Plan {
        let desired = try f.load()
        let plan = try Orchestration.Planner.plan(desired, observed: try await executor.observe(desired))
        try await executor.up(desired, plan: plan)
        return plan
    }

    @Test("a recreate whose create the engine refuses leaves the old container running under its name, and the next up recreates it")
    func createRefused() async throws {
        try await OrchestrationFixture.with { f in
            let image = try await TestImages.busybox(f.client)
            try f.write(Self.stack(image: image, mode: "one"))
            try await f.up()
            let old = try await f.container("api")

            try f.write(Self.stack(image: image, mode: "two"))
            let (executor, faults) = try Self.faultyExecutor(f)
            faults.arm(.refuse(pathContaining: "/containers/create", status: 400, message: "invalid create body (injected)"))
            await #expect(throws: OrchestrationError.self) { _ = try await Self.up(f, executor) }

            let left = try await f.containers()
            #expect(left.map(\.id) == [old.id], "only the old container: \(left.map(\.name))")
            #expect(left.first?.name == "\(f.name)-api-1")
            #expect(left.first?.state == .running)

            faults.arm(.none)
            let plan = try await Self.up(f, executor)
            #expect(plan.actions(.recreateContainer).count == 1)
            let now = try await f.containers()
            #expect(now.count == 1)
            #expect(now.first?.name == "\(f.name)-api-1")
            #expect(now.first?.id != old.id)
            #expect((try await f.container("api")).config?.env?.contains("MODE=two") == true)
        }
    }

    struct DeathCase: Sendable, CustomStringConvertible {
        /// The write after which the engine "dies".
        var after: String
        /// Whether the old container still runs at that point.
        var oldRunning: Bool
        var description: String { "engine dies after \(after)" }
    }

    @Test(
        "a recreate cut off at any step leaves the service a container, and the next up converges with no leftovers",
        arguments: [
            DeathCase(after: "/rename", oldRunning: true),
            DeathCase(after: "/containers/create", oldRunning: true),
            DeathCase(after: "/stop", oldRunning: false),
        ])
    func interrupted(_ c: DeathCase) async throws {
        try await OrchestrationFixture.with { f in
            let image = try await TestImages.busybox(f.client)
            try f.write(Self.stack(image: image, mode: "one"))
            try await f.up()
            let old = try await f.container("api")

            try f.write(Self.stack(image: image, mode: "two"))
            let (executor, faults) = try Self.faultyExecutor(f)
            faults.arm(.dieAfter(pathContaining: c.after))
            await #expect(throws: OrchestrationError.self) { _ = try await Self.up(f, executor) }

            // Never without a container: the old one is still there (parked or not).
            let left = try await f.containers()
            let oldLeft = try #require(left.first { $0.id == old.id }, "the old container is gone: \(left.map(\.name))")
            #expect((oldLeft.state == .running) == c.oldRunning)

            // The engine is back: the next up converges.
            faults.arm(.none)
            _ = try await Self.up(f, executor)
            let now = try await f.containers()
            #expect(now.count == 1, "\(now.map(\.name))")
            #expect(now.first?.name == "\(f.name)-api-1")
            #expect(now.first?.state == .running)
            #expect((try await f.container("api")).config?.env?.contains("MODE=two") == true)
            let again = try await Self.up(f, executor)
            #expect(again.isUpToDate, "\(again.actions.map { "\($0.kind.rawValue) \($0.target): \($0.reason)" })")
        }
    }
}
