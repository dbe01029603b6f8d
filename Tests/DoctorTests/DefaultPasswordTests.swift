import Foundation
import Grafana
import HTTPTransport
import Logging
import Synchronization
import Testing

@testable import Doctor

/// Answers every request with one status and counts the logins tried as admin/admin.
final class LoginCountingTransport: HTTPTransport {
    let status: Int
    let defaultLogins = Mutex(0)
    let requests = Mutex(0)
    /// Requests that carried credentials (each one a login attempt for Grafana).
    let authenticated = Mutex(0)

    init(status: Int) { self.status = status }

    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        requests.withLock { $0 += 1 }
        if request.headers.contains(where: { $0.name == "Authorization" }) { authenticated.withLock { $0 += 1 } }
        let admin = "Basic " + Data("admin:admin".utf8).base64EncodedString()
        if request.headers.contains(where: { $0.name == "Authorization" && $0.value == admin }) { defaultLogins.withLock { $0 += 1 } }
        return HTTPResponse(status: status, headers: [], body: Data(#"{"message":"Invalid username or password"}"#.utf8))
    }

    func stream(_ request: HTTPRequest) async throws -> HTTPStreamingResponse { throw CancellationError() }
}

@Suite("Doctor: the default-password check never costs a lockout")
struct DefaultPasswordTests {
    struct JudgeCase: Sendable, CustomStringConvertible {
        var credentials: Grafana.Credentials
        var accepted: Bool
        var verdict: Doctor.DefaultPasswordVerdict
        var description: String { "\(credentials), accepted \(accepted)" }
    }

    @Test(
        "StackPilot's own accepted admin login decides without a failed attempt",
        arguments: [
            JudgeCase(credentials: .basic(user: "admin", password: "admin"), accepted: true, verdict: .stillDefault),
            JudgeCase(credentials: .basic(user: "admin", password: "changed"), accepted: true, verdict: .changed),
            JudgeCase(credentials: .basic(user: "admin", password: "changed"), accepted: false, verdict: .unknown),
            JudgeCase(credentials: .basic(user: "ops", password: "x"), accepted: true, verdict: .unknown),
            JudgeCase(credentials: .bearer(token: "glsa_x"), accepted: true, verdict: .unknown),
        ])
    func judge(_ testCase: JudgeCase) {
        #expect(Doctor.judgeDefaultPassword(credentials: testCase.credentials, accepted: testCase.accepted) == testCase.verdict)
    }

    struct ProbeCase: Sendable, CustomStringConvertible {
        var name: String
        var mayAttempt: Bool
        var secondsAgo: TimeInterval?
        var url: String
        var expected: Bool
        var description: String { name }
    }

    @Test(
        "admin/admin is tried at most once per 10 minutes per Grafana, never by a periodic run",
        arguments: [
            ProbeCase(name: "never tried", mayAttempt: true, secondsAgo: nil, url: "http://g:3000", expected: true),
            ProbeCase(name: "tried 9 min ago", mayAttempt: true, secondsAgo: 540, url: "http://g:3000", expected: false),
            ProbeCase(name: "tried 10 min ago", mayAttempt: true, secondsAgo: 600, url: "http://g:3000", expected: true),
            ProbeCase(name: "tried on another Grafana", mayAttempt: true, secondsAgo: 10, url: "http://other:3000", expected: true),
            ProbeCase(name: "periodic (supervise)", mayAttempt: false, secondsAgo: nil, url: "http://g:3000", expected: false),
        ])
    func probe(_ testCase: ProbeCase) {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let memory = testCase.secondsAgo.map { Doctor.DefaultPasswordMemory(url: "http://g:3000", attemptedAt: now - $0, acceptsDefault: false) }
        let policy = Doctor.DefaultPasswordPolicy(stateFile: nil, mayAttempt: testCase.mayAttempt)
        #expect(Doctor.mayTryDefaultPassword(memory: memory, url: testCase.url, now: now, policy: policy) == testCase.expected)
    }

    static func setup(transport: LoginCountingTransport, credentials: Grafana.Credentials, policy: Doctor.DefaultPasswordPolicy) throws -> Doctor.GrafanaSetup {
        let connection = try Grafana.Connection(url: "http://127.0.0.1:1", credentials: credentials)
        let client = Grafana.Client(transport: transport, connection: connection, logger: Logger(label: "sptest-doctor"))
        return Doctor.GrafanaSetup(client: client, dashboardUIDs: [], alertRuleUIDs: [], defaultPassword: policy)
    }

    @Test("a token user: one admin/admin attempt, remembered in a 0600 file; ten more runs within 10 minutes try nothing")
    func rememberedAttempt() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sptest-doctor-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("grafana-default-password.json")
        let transport = LoginCountingTransport(status: 401)
        let policy = Doctor.DefaultPasswordPolicy(stateFile: file)
        let setup = try Self.setup(transport: transport, credentials: .bearer(token: "glsa_x"), policy: policy)
        for _ in 0..<11 {
            let finding = try await Doctor.defaultPasswordFinding(setup, accepted: true)
            #expect(finding.status == .ok)
        }
        #expect(transport.defaultLogins.withLock { $0 } == 1)
        let attributes = try FileManager.default.attributesOfItem(atPath: file.path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        #expect(Doctor.readMemory(file)?.acceptsDefault == false)
        #expect(!(try String(contentsOf: file, encoding: .utf8)).contains("glsa_x"))
    }

    @Test("supervise's periodic doctor never tries admin/admin: it reports the remembered warning, or not checked")
    func periodicNeverTries() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sptest-doctor-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("grafana-default-password.json")
        let transport = LoginCountingTransport(status: 200)
        let periodic = Doctor.DefaultPasswordPolicy(stateFile: file, mayAttempt: false)
        let setup = try Self.setup(transport: transport, credentials: .bearer(token: "glsa_x"), policy: periodic)
        #expect(try await Doctor.defaultPasswordFinding(setup, accepted: true).status == .notApplicable)
        Doctor.writeMemory(Doctor.DefaultPasswordMemory(url: "http://127.0.0.1:1", attemptedAt: Date() - 3600, acceptsDefault: true), to: file)
        #expect(try await Doctor.defaultPasswordFinding(setup, accepted: true).status == .warning)
        #expect(transport.requests.withLock { $0 } == 0)
    }

    @Test("logged in as admin with a changed password: ok, and no request at all")
    func judgedWithoutRequest() async throws {
        let transport = LoginCountingTransport(status: 401)
        let setup = try Self.setup(transport: transport, credentials: .basic(user: "admin", password: "changed"), policy: .init(stateFile: nil))
        #expect(try await Doctor.defaultPasswordFinding(setup, accepted: true).status == .ok)
        #expect(transport.requests.withLock { $0 } == 0)
    }

    @Test("refused credentials: eleven doctor runs within 10 minutes cost one failed login; the checks that log in do not try")
    func refusedCredentialsRemembered() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sptest-doctor-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: directory) }
        let transport = LoginCountingTransport(status: 401)
        let policy = Doctor.DefaultPasswordPolicy(stateFile: directory.appendingPathComponent("grafana-default-password.json"), mayAttempt: false)
        let setup = try Self.setup(transport: transport, credentials: .basic(user: "admin", password: "wrong"), policy: policy)
        for run in 0..<11 {
            var statuses: [String: Doctor.Status] = [:]
            for check in Doctor.grafanaChecks(setup) where check.name != "health" {
                statuses[check.name] = (try? await check.run())?.status
            }
            #expect(statuses["credentials"] == .failure, "run \(run)")
            #expect(statuses["datasource"] == .notApplicable, "run \(run)")
            #expect(statuses["alert-rules"] == .notApplicable, "run \(run)")
        }
        #expect(transport.authenticated.withLock { $0 } == 1)
        let refusal = try #require(Doctor.readRefusal(directory.appendingPathComponent("grafana-credentials.json")))
        #expect(!refusal.fingerprint.contains("wrong"))
        // New credentials are tried at once.
        let changed = try Self.setup(transport: transport, credentials: .basic(user: "admin", password: "new-one"), policy: policy)
        _ = try? await Doctor.verifiedLookup(changed)
        #expect(transport.authenticated.withLock { $0 } == 2)
    }

    @Test("accepted credentials: a doctor run sends no request only to test them")
    func noExtraLogin() async throws {
        let transport = LoginCountingTransport(status: 404)
        let setup = try Self.setup(transport: transport, credentials: .basic(user: "admin", password: "changed"), policy: .init(stateFile: nil))
        let checks = Doctor.grafanaChecks(setup).filter { ["credentials", "default-password", "datasource"].contains($0.name) }
        for check in checks { _ = try? await check.run() }
        // One request: the datasource lookup (404: missing), which also judged the credentials.
        #expect(transport.authenticated.withLock { $0 } == 1)
    }
}
