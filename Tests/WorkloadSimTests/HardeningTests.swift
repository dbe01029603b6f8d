import Foundation
import HTTPTransport
import PrometheusAPI
import Testing

@testable import WorkloadSim

/// What a client can send workload-sim: bad bodies are 400s naming the field (never a trap in a
/// metric library), `/admin/*` needs the token, and label values stay a fixed set.
@Suite("workload-sim hardening")
struct WorkloadHardeningTests {
    struct BadRequest: Sendable, CustomTestStringConvertible {
        var role: WorkloadRole
        var body: String
        var field: String
        var path: String { role == .api ? "/v1/query" : "/v1/infer" }
        var testDescription: String { "\(path) \(body.prefix(60))" }
    }

    static let longText = String(repeating: "a", count: RequestLimits.maxTextBytes + 1)

    @Test(
        "a bad request body is a 400 naming the field, and the server keeps serving",
        arguments: [
            // max_tokens -1 reached swift-prometheus' increment(by:) precondition: SIGILL.
            BadRequest(role: .modelAPI, body: #"{"max_tokens": -1}"#, field: "max_tokens"),
            BadRequest(role: .modelAPI, body: #"{"max_tokens": 0}"#, field: "max_tokens"),
            BadRequest(role: .modelAPI, body: #"{"max_tokens": 100000000}"#, field: "max_tokens"),
            // A number no Int holds: Foundation's decoder does not say which key, so the body is named.
            BadRequest(role: .modelAPI, body: #"{"max_tokens": 1e300}"#, field: "body"),
            BadRequest(role: .modelAPI, body: #"{"max_tokens": "many"}"#, field: "max_tokens"),
            BadRequest(role: .modelAPI, body: #"{"model": ""}"#, field: "model"),
            BadRequest(role: .modelAPI, body: #"{"model": "rag llm"}"#, field: "model"),
            BadRequest(role: .modelAPI, body: #"{"model": "modèle"}"#, field: "model"),
            BadRequest(role: .modelAPI, body: "{\"model\": \"\(String(repeating: "m", count: 65))\"}", field: "model"),
            BadRequest(role: .modelAPI, body: #"{"model": 7}"#, field: "model"),
            BadRequest(role: .modelAPI, body: #"{"modality": "video"}"#, field: "modality"),
            BadRequest(role: .modelAPI, body: "{\"prompt\": \"\(longText)\"}", field: "prompt"),
            BadRequest(role: .modelAPI, body: #"[1]"#, field: "body"),
            BadRequest(role: .modelAPI, body: #"{"#, field: "body"),
            BadRequest(role: .api, body: #"{"model": "a b"}"#, field: "model"),
            BadRequest(role: .api, body: #"{"modality": "smell"}"#, field: "modality"),
            BadRequest(role: .api, body: "{\"query\": \"\(longText)\"}", field: "query"),
            BadRequest(role: .api, body: #"{"query": 5}"#, field: "query"),
            BadRequest(role: .api, body: #"nope"#, field: "body"),
        ])
    func badRequest(_ c: BadRequest) async throws {
        try await Workload.with(Workload.configuration(c.role)) { (workload: RunningWorkload) async throws -> Void in
            let response = try await workload.post(c.path, json: c.body)
            #expect(response.status == 400)
            let answer = try JSONDecoder().decode([String: String].self, from: response.body)
            #expect(answer["field"] == c.field)
            #expect(try await workload.get("/health").status == 200)
            if c.role == .modelAPI {
                #expect(try await workload.value("model_inference_total", ["status": "success"]) ?? 0 == 0)
                let invalid = try await workload.families()[family: "model_errors_total"]?.samples
                    .filter { $0.label("type") == "invalid_input" }.reduce(0) { $0 + $1.value }
                #expect(invalid == 1)
            }
        }
    }

    @Test(
        "the limits themselves are served",
        arguments: [
            #"{"max_tokens": 1, "model": "clip-vit-embedder", "modality": "text"}"#,
            #"{"max_tokens": 8192, "modality": "image"}"#,
        ])
    func limitsServed(body: String) async throws {
        try await Workload.with(Workload.configuration(.modelAPI)) { (model: RunningWorkload) async throws -> Void in
            #expect(try await model.post("/v1/infer", json: body).status == 200)
        }
    }

    struct AdminCase: Sendable, CustomTestStringConvertible {
        var name: String
        var configured: Bool
        var header: String?
        var status: Int
        var code: String?
        var testDescription: String { name }
    }

    static let token = Workload.adminToken

    @Test(
        "/admin/* needs the bearer token; without a configured token it is off; refused calls change nothing",
        arguments: [
            AdminCase(name: "no header", configured: true, header: nil, status: 401, code: "unauthorized"),
            AdminCase(name: "wrong token", configured: true, header: "Bearer wrong-token-0123456789abcdef", status: 401, code: "unauthorized"),
            AdminCase(name: "a prefix of the token", configured: true, header: "Bearer " + token.dropLast(), status: 401, code: "unauthorized"),
            AdminCase(name: "the token and more", configured: true, header: "Bearer " + token + "x", status: 401, code: "unauthorized"),
            AdminCase(name: "empty bearer", configured: true, header: "Bearer ", status: 401, code: "unauthorized"),
            AdminCase(name: "other scheme", configured: true, header: "Basic " + token, status: 401, code: "unauthorized"),
            AdminCase(name: "right token", configured: true, header: "Bearer " + token, status: 200, code: nil),
            AdminCase(name: "none configured", configured: false, header: "Bearer " + token, status: 403, code: "admin_disabled"),
        ])
    func adminToken(_ c: AdminCase) async throws {
        var configuration = Workload.configuration(.modelAPI, faults: Faults(latencySeconds: 0.5))
        if !c.configured { configuration.adminToken = nil }
        try await Workload.with(configuration) { (model: RunningWorkload) async throws -> Void in
            for (method, body) in [(HTTPMethod.get, nil), (.post, #"{"leak_mb_per_minute": 600}"#), (.delete, nil)] as [(HTTPMethod, String?)] {
                var headers: [(String, String)] = [("Content-Type", "application/json")]
                if let header = c.header { headers.append(("Authorization", header)) }
                let response = try await model.transport.send(
                    HTTPRequest(method: method, path: "/admin/faults", headers: headers, body: body.map { Data($0.utf8) }))
                #expect(response.status == c.status, "\(method)")
                if let code = c.code {
                    #expect(try JSONDecoder().decode([String: String].self, from: response.body)["code"] == code)
                    if c.status == 401 { #expect(response.header("WWW-Authenticate") == "Bearer") }
                    // Nothing changed: the faults are the ones it started with.
                    #expect(model.server.simulator.faults == Faults(latencySeconds: 0.5))
                }
            }
        }
    }

    @Test(
        "the token compares equal only to itself, whatever the lengths",
        arguments: [
            ("abcdefghijklmnop", "abcdefghijklmnop", true),
            ("abcdefghijklmnop", "abcdefghijklmnoq", false),
            ("abcdefghijklmnop", "abcdefghijklmno", false),
            ("abcdefghijklmnop", "abcdefghijklmnopabcdefghijklmnop", false),
            ("abcdefghijklmnop", "", false),
        ])
    func constantTime(expected: String, given: String, equal: Bool) {
        #expect(AdminToken.constantTimeEquals(Array(given.utf8), Array(expected.utf8)) == equal)
    }

    @Test("the token comes from WORKLOAD_ADMIN_TOKEN_FILE too, and no error or description shows it")
    func tokenFile() throws {
        let secret = "file-token-0123456789abcdef"
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("workload-token-\(UUID().uuidString)").path
        try Data((secret + "\n").utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let token = try #require(try AdminToken.fromEnvironment(["WORKLOAD_ADMIN_TOKEN_FILE": path]))
        #expect(token.authorizes("Bearer " + secret))
        #expect(!"\(token)".contains(secret))
        let configuration = try WorkloadSimCommand.parse([]).resolve(environment: ["WORKLOAD_ADMIN_TOKEN": secret])
        #expect(!"\(configuration)".contains(secret))
        let error = try #require(throws: ConfigurationError.self) { try AdminToken.fromEnvironment(["WORKLOAD_ADMIN_TOKEN": "short-secret"]) }
        #expect(error.source == "WORKLOAD_ADMIN_TOKEN")
        #expect(!error.description.contains("short-secret"))
    }

    @Test("any number of model names makes at most one more series: known models keep their label, the rest are \"other\"")
    func boundedModelLabels() async throws {
        try await Workload.with(Workload.configuration(.modelAPI)) { (model: RunningWorkload) async throws -> Void in
            for i in 0..<40 {
                #expect(try await model.post("/v1/infer", json: "{\"model\": \"made-up-\(i)\", \"max_tokens\": 1}").status == 200)
            }
            #expect(try await model.post("/v1/infer", json: #"{"model": "clip-vit-embedder", "max_tokens": 1}"#).status == 200)
            let families = try await model.families()
            for name in ["model_inference_total", "model_tokens_total", "model_inference_latency_seconds", "model_tokens_per_second", "model_errors_total"] {
                let labels = Set(try #require(families[family: name]).samples.compactMap { $0.label("model") })
                #expect(labels.isSubset(of: Set(WorkloadMetrics.models + [WorkloadMetrics.otherModel])), "\(name): \(labels.sorted())")
            }
            #expect(try await model.value("model_inference_total", ["model": "other", "status": "success"]) == 40)
            #expect(try await model.value("model_inference_total", ["model": "clip-vit-embedder", "status": "success"]) == 1)
        }
    }

    @Test(
        "request methods outside the usual ones share one method label",
        arguments: [
            ("GET", "GET"), ("POST", "POST"), ("DELETE", "DELETE"), ("PROPFIND", "other"), ("X-RANDOM-1", "other"),
        ])
    func methodLabel(method: String, label: String) {
        #expect(WorkloadMetrics.methodLabel(method) == label)
    }
}
