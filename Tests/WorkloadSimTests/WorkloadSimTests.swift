import Foundation
import HTTPTransport
import PrometheusAPI
import TestSupport
import Testing

@testable import WorkloadSim

/// The metrics of the monitoring guide ("Custom Metrics") and their types.
let documentedModelMetrics: [(String, MetricType)] = [
    ("model_inference_latency_seconds", .histogram), ("model_inference_total", .counter), ("model_tokens_total", .counter),
    ("model_tokens_per_second", .gauge), ("model_errors_total", .counter), ("gpu_memory_allocated_mb", .gauge),
    ("gpu_memory_reserved_mb", .gauge),
]
let documentedHTTPMetrics: [(String, MetricType)] = [
    ("http_requests_total", .counter), ("http_request_duration_seconds", .histogram),
    ("http_request_size_bytes", .histogram), ("http_response_size_bytes", .histogram),
]

@Suite("workload-sim /metrics")
struct WorkloadMetricsTests {
    @Test("each role exposes every documented metric with the documented type", arguments: WorkloadRole.allCases)
    func documentedMetrics(role: WorkloadRole) async throws {
        try await Workload.with(Workload.configuration(role)) { (workload: RunningWorkload) async throws -> Void in
            let families = try await workload.families()
            let expected = role == .modelAPI ? documentedModelMetrics + documentedHTTPMetrics : documentedHTTPMetrics
            for (name, type) in expected {
                let family = families[family: name]
                #expect(family != nil, "\(name) is missing on \(role.rawValue)")
                #expect(family?.type == type, "\(name) should be a \(type)")
                #expect(family?.help?.isEmpty == false, "\(name) has no HELP")
                #expect(family?.samples.isEmpty == false, "\(name) has no series")
            }
            if role == .api {
                // Inference happens on the model API only, so sums over jobs do not count it twice.
                #expect(families[family: "model_inference_total"] == nil)
                #expect(families[family: "gpu_memory_allocated_mb"] == nil)
            } else {
                #expect(families[family: "gpu_memory_total_mb"]?.type == .gauge)
                let labels = Set(families[family: "model_tokens_total"]?.samples.compactMap { $0.label("direction") } ?? [])
                #expect(labels == ["input", "output"])
            }
        }
    }

    @Test(
        "/metrics passes promtool check metrics (apart from the guide's own _mb names)",
        .enabled(if: ToolGate.runs(needing: "/usr/bin/promtool", for: "promtool check metrics"), "needs Debian's promtool (scripts/setup installs prometheus)"),
        arguments: WorkloadRole.allCases)
    func promtool(role: WorkloadRole) async throws {
        try ToolGate.require("/usr/bin/promtool")
        try await Workload.with(Workload.configuration(role)) { (workload: RunningWorkload) async throws -> Void in
            _ = try await workload.post(role == .api ? "/v1/query" : "/v1/infer", json: "{}")
            let body = try await workload.get("/metrics").body
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/promtool")
            process.arguments = ["check", "metrics"]
            let input = Pipe(), output = Pipe()
            process.standardInput = input
            process.standardOutput = output
            process.standardError = output
            try process.run()
            try input.fileHandleForWriting.write(contentsOf: body)
            try input.fileHandleForWriting.close()
            let report = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            // promtool exits 1 on a parse error and 3 on lint problems; the only lint it may raise
            // is about gpu_memory_*_mb, names the monitoring guide prescribes.
            #expect(process.terminationStatus != 1, "promtool could not parse /metrics: \(report)")
            let problems = report.split(separator: "\n").filter { !$0.contains("should not contain abbreviated units") || !$0.hasPrefix("gpu_memory_") }
            #expect(problems.isEmpty, "promtool: \(problems)")
        }
    }
}

@Suite("workload-sim requests")
struct WorkloadRequestTests {
    @Test("a query on the api is forwarded to the model API, and both sides' metrics move together")
    func forwarding() async throws {
        try await Workload.with(Workload.configuration(.modelAPI)) { (model: RunningWorkload) async throws -> Void in
            try await Workload.with(Workload.configuration(.api, modelAPIURL: model.baseURL)) { (api: RunningWorkload) async throws -> Void in
                for _ in 0..<3 {
                    let response = try await api.post("/v1/query", json: #"{"query":"what is in the picture?","modality":"image"}"#)
                    #expect(response.status == 200)
                    let answer = try JSONDecoder().decode(QueryResponse.self, from: response.body)
                    #expect(answer.model == "rag-llm")
                }
                #expect(try await api.value("http_requests_total", ["route": "/v1/query", "status": "200"]) == 3)
                #expect(try await model.value("http_requests_total", ["route": "/v1/infer", "status": "200"]) == 3)
                #expect(try await model.value("model_inference_total", ["model": "rag-llm", "status": "success"]) == 3)
                #expect(try await model.value("model_inference_latency_seconds_count", ["model": "rag-llm"]) == 3)
                // An image adds 576 input tokens per request.
                #expect(try await model.value("model_tokens_total", ["model": "rag-llm", "direction": "input"]) ?? 0 > 3 * 576)
                #expect(try await model.value("model_tokens_total", ["model": "rag-llm", "direction": "output"]) ?? 0 >= 3 * 16)
                #expect(try await model.value("model_tokens_per_second", ["model": "rag-llm"]) ?? 0 > 0)
                #expect(try await api.value("http_request_size_bytes_sum", ["route": "/v1/query"]) ?? 0 > 0)
                #expect(try await api.value("http_response_size_bytes_sum", ["route": "/v1/query"]) ?? 0 > 0)
            }
        }
    }

    @Test("the api answers 502 naming the model API when it cannot reach it")
    func unreachableModelAPI() async throws {
        try await Workload.with(Workload.configuration(.api, modelAPIURL: "http://127.0.0.1:9")) { (api: RunningWorkload) async throws -> Void in
            let response = try await api.post("/v1/query", json: "{}")
            #expect(response.status == 502)
            #expect(String(decoding: response.body, as: UTF8.self).contains("model API at http:\\/\\/127.0.0.1:9 is unreachable"))
            #expect(try await api.value("http_requests_total", ["route": "/v1/query", "status": "502"]) == 1)
        }
    }

    @Test("a malformed inference request is a 400 counted as model_errors_total{type=invalid_input}")
    func invalidInput() async throws {
        try await Workload.with(Workload.configuration(.modelAPI)) { (model: RunningWorkload) async throws -> Void in
            let response = try await model.post("/v1/infer", json: "{not json")
            #expect(response.status == 400)
            #expect(try await model.value("model_errors_total", ["model": "rag-llm", "type": "invalid_input"]) == 1)
        }
    }

    @Test("the built-in load generator moves the metrics without outside traffic")
    func loadGenerator() async throws {
        var configuration = Workload.configuration(.modelAPI)
        configuration.loadRate = 20
        try await Workload.with(configuration) { (model: RunningWorkload) async throws -> Void in
            var total = 0.0
            for _ in 0..<100 where total < 3 {
                try await Task.sleep(for: .milliseconds(100))
                let families = try await model.families()
                total = families[family: "model_inference_total"]?.samples.reduce(0) { $0 + $1.value } ?? 0
            }
            #expect(total >= 3)
        }
    }

    @Test("after its graceful shutdown the server is gone: its port refuses connections")
    func stops() async throws {
        let url = try await Workload.with(Workload.configuration(.api)) { (api: RunningWorkload) async throws -> String in
            #expect(try await api.get("/health").status == 200)
            return api.baseURL
        }
        let transport = try CurlTransport(endpoint: HTTPEndpoint(address: .url(url)))
        do {
            let response = try await transport.send(HTTPRequest(path: "/health"))
            Issue.record("the stopped server still answered \(response.status)")
        } catch {
            #expect((error as? CurlError)?.isConnectionRefused == true, "\(error)")
        }
    }
}

@Suite("workload-sim faults", .serialized)
struct WorkloadFaultTests {
    @Test("latency 6 s pushes the p95 of model_inference_latency_seconds over 5 s")
    func latency() async throws {
        try await Workload.with(Workload.configuration(.modelAPI)) { (model: RunningWorkload) async throws -> Void in
            let set = try await model.admin(.post, "faults", json: #"{"latency_seconds": 6}"#)
            #expect(set.status == 200)
            try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<4 {
                    group.addTask { try await model.post("/v1/infer", json: #"{"model":"rag-llm"}"#).status }
                }
                for try await status in group { #expect(status == 200) }
            }
            let families = try await model.families()
            let series = try #require(
                families[family: "model_inference_latency_seconds"]?.histogramSeries.first { $0.labels.contains(Label(name: "model", value: "rag-llm")) })
            #expect(series.count == 4)
            let p95 = try #require(series.quantile(0.95))
            #expect(p95 > 5, "p95 is \(p95)")
            let http = try #require(
                families[family: "http_request_duration_seconds"]?.histogramSeries.first { $0.labels.contains(Label(name: "route", value: "/v1/infer")) })
            #expect(try #require(http.quantile(0.95)) > 5)
        }
    }

    @Test("error_ratio 1 fails every inference and counts model_errors_total{type=injected}; 0 restores")
    func errors() async throws {
        try await Workload.with(Workload.configuration(.modelAPI, faults: Faults(errorRatio: 1))) { (model: RunningWorkload) async throws -> Void in
            for _ in 0..<5 {
                #expect(try await model.post("/v1/infer", json: "{}").status == 500)
            }
            #expect(try await model.value("model_errors_total", ["model": "rag-llm", "type": "injected"]) == 5)
            #expect(try await model.value("model_inference_total", ["model": "rag-llm", "status": "error"]) == 5)
            #expect(try await model.value("http_requests_total", ["route": "/v1/infer", "status": "500"]) == 5)
            #expect(try await model.admin(.post, "faults", json: #"{"error_ratio": 0}"#).status == 200)
            #expect(try await model.post("/v1/infer", json: "{}").status == 200)
            #expect(try await model.value("model_errors_total", ["model": "rag-llm", "type": "injected"]) == 5)
        }
    }

    /// How a test turns the leak fault off.
    enum LeakClearing: String, Sendable, CaseIterable {
        case postZero = "POST leak_mb_per_minute 0"
        case delete = "DELETE /admin/faults"
    }

    @Test("the leak fault maps real memory (RSS grows), and clearing it gives back every byte it held", arguments: LeakClearing.allCases)
    func leak(clearing: LeakClearing) async throws {
        try await Workload.with(Workload.configuration(.modelAPI)) { (model: RunningWorkload) async throws -> Void in
            let rssBefore = try #require(try await model.value("process_resident_memory_bytes"))
            // 1200 MB per minute is 20 MB per second; the leak ticks once a second.
            #expect(try await model.admin(.post, "faults", json: #"{"leak_mb_per_minute": 1200}"#).status == 200)
            var leaked = 0.0
            for _ in 0..<100 where leaked < 30 * 1_048_576 {
                try await Task.sleep(for: .milliseconds(100))
                leaked = try await model.value("workload_sim_leaked_bytes") ?? 0
            }
            let rssDuring = try #require(try await model.value("process_resident_memory_bytes"))
            switch clearing {
            case .postZero: #expect(try await model.admin(.post, "faults", json: #"{"leak_mb_per_minute": 0}"#).status == 200)
            case .delete: #expect(try await model.admin(.delete, "faults").status == 200)
            }
            #expect(leaked >= 30 * 1_048_576)
            #expect(rssDuring - rssBefore >= 25 * 1_048_576, "RSS grew by \(rssDuring - rssBefore) bytes only")
            // The simulator's own accounting: the regions count themselves and uncount when unmapped.
            // A tick that was mapping its region as the fault was cleared unmaps it at once, so poll briefly.
            var held = model.server.simulator.leakedBytes
            for _ in 0..<100 where held != 0 {
                try await Task.sleep(for: .milliseconds(50))
                held = model.server.simulator.leakedBytes
            }
            #expect(held == 0, "\(held) bytes still held after the leak was cleared")
            #expect(try await model.value("workload_sim_leaked_bytes") == 0)
        }
    }

    @Test("gpu_pressure 0.95 leaves under 10% of the simulated GPU memory available; none leaves plenty")
    func gpuPressure() async throws {
        try await Workload.with(Workload.configuration(.modelAPI)) { (model: RunningWorkload) async throws -> Void in
            func availableFraction() async throws -> Double {
                let total = try #require(try await model.value("gpu_memory_total_mb"))
                let reserved = try #require(try await model.value("gpu_memory_reserved_mb"))
                let allocated = try #require(try await model.value("gpu_memory_allocated_mb"))
                #expect(allocated <= reserved)
                #expect(reserved <= total)
                return (total - reserved) / total
            }
            #expect(try await availableFraction() > 0.3)
            #expect(try await model.admin(.post, "faults", json: #"{"gpu_pressure": 0.95}"#).status == 200)
            #expect(try await availableFraction() < 0.1)
            #expect(try await model.admin(.post, "faults", json: #"{"gpu_pressure": 1}"#).status == 200)
            #expect(try await model.post("/v1/infer", json: "{}").status == 500)
            #expect(try await model.value("model_errors_total", ["model": "rag-llm", "type": "gpu_out_of_memory"]) == 1)
        }
    }

    struct BadFaults: Sendable, CustomTestStringConvertible {
        var body: String
        var mentions: String
        var testDescription: String { body }
    }

    @Test(
        "POST /admin/faults rejects bad input with a 400 naming the field, and changes nothing",
        arguments: [
            BadFaults(body: #"{"latency": 6}"#, mentions: "latency: unknown fault"),
            BadFaults(body: #"{"error_ratio": 1.5}"#, mentions: "error_ratio"),
            BadFaults(body: #"{"latency_seconds": "6"}"#, mentions: "latency_seconds"),
            BadFaults(body: #"{"gpu_pressure": true}"#, mentions: "gpu_pressure"),
            BadFaults(body: #"[1]"#, mentions: "expected a JSON object"),
            BadFaults(body: #"{"#, mentions: "not JSON"),
        ])
    func badFaults(_ input: BadFaults) async throws {
        try await Workload.with(Workload.configuration(.modelAPI, faults: Faults(latencySeconds: 0.5))) { (model: RunningWorkload) async throws -> Void in
            let response = try await model.admin(.post, "faults", json: input.body)
            #expect(response.status == 400)
            #expect(String(decoding: response.body, as: UTF8.self).contains(input.mentions))
            let current = try JSONDecoder().decode(Faults.self, from: try await model.admin(.get, "faults").body)
            #expect(current == Faults(latencySeconds: 0.5))
        }
    }

    @Test("a partial POST keeps the other faults; DELETE clears them all")
    func partialUpdate() async throws {
        try await Workload.with(Workload.configuration(.api, faults: Faults(latencySeconds: 0.25))) { (api: RunningWorkload) async throws -> Void in
            let updated = try JSONDecoder().decode(Faults.self, from: try await api.admin(.post, "faults", json: #"{"error_ratio": 0.5}"#).body)
            #expect(updated == Faults(latencySeconds: 0.25, errorRatio: 0.5))
            let cleared = try await api.admin(.delete, "faults")
            #expect(try JSONDecoder().decode(Faults.self, from: cleared.body) == .none)
        }
    }
}

@Suite("workload-sim configuration")
struct WorkloadConfigurationTests {
    @Test("flags and environment resolve, flags first")
    func resolve() throws {
        let command = try WorkloadSimCommand.parse(["--role", "model-api", "--load-rate", "0"])
        let configuration = try command.resolve(environment: [
            "WORKLOAD_ROLE": "api", "PORT": "6001", "MODEL_API_URL": "http://m:1", "FAULT_LATENCY_SECONDS": "6", "FAULT_GPU_PRESSURE": "0.95",
        ])
        #expect(configuration.role == .modelAPI)
        #expect(configuration.port == 6001)
        #expect(configuration.loadRate == 0)
        #expect(configuration.modelAPIURL == "http://m:1")
        #expect(configuration.faults == Faults(latencySeconds: 6, gpuPressure: 0.95))
        let defaults = try WorkloadSimCommand.parse([]).resolve(environment: [:], inContainer: false)
        #expect(defaults.role == .api)
        #expect(defaults.port == 5000)
        #expect(defaults.loadRate == 2)
        #expect(defaults.modelAPIURL == "http://model-api:5001")
        #expect(defaults.host == "127.0.0.1")
        #expect(defaults.adminToken == nil)
    }

    struct ListenCase: Sendable, CustomTestStringConvertible {
        var arguments: [String]
        var environment: [String: String]
        var inContainer: Bool
        var host: String
        var testDescription: String { "\(arguments) \(environment) in container: \(inContainer) -> \(host)" }
    }

    @Test(
        "it listens on loopback unless told otherwise (every address inside a container); --host, then LISTEN_HOST",
        arguments: [
            ListenCase(arguments: [], environment: [:], inContainer: false, host: "127.0.0.1"),
            ListenCase(arguments: [], environment: [:], inContainer: true, host: "0.0.0.0"),
            ListenCase(arguments: [], environment: ["LISTEN_HOST": "0.0.0.0"], inContainer: false, host: "0.0.0.0"),
            ListenCase(arguments: [], environment: ["LISTEN_HOST": "127.0.0.1"], inContainer: true, host: "127.0.0.1"),
            ListenCase(arguments: ["--host", "::1"], environment: ["LISTEN_HOST": "0.0.0.0"], inContainer: true, host: "::1"),
        ])
    func listenHost(_ c: ListenCase) throws {
        #expect(try WorkloadSimCommand.parse(c.arguments).resolve(environment: c.environment, inContainer: c.inContainer).host == c.host)
    }

    @Test(
        "bad settings name the flag or variable",
        arguments: [
            (["--role", "db"], [String: String](), "--role"),
            ([], ["WORKLOAD_ROLE": "db"], "WORKLOAD_ROLE"),
            ([], ["PORT": "http"], "PORT"),
            (["--port", "70000"], [:], "--port"),
            ([], ["LOAD_RATE": "-1"], "LOAD_RATE"),
            ([], ["MODEL_API_URL": "model-api:5001"], "MODEL_API_URL"),
            ([], ["FAULT_ERROR_RATIO": "2"], "FAULT_ERROR_RATIO"),
            ([], ["FAULT_LATENCY_SECONDS": "six"], "FAULT_LATENCY_SECONDS"),
            ([], ["FAULT_LEAK_MB_PER_MINUTE": "-5"], "FAULT_LEAK_MB_PER_MINUTE"),
            ([], ["WORKLOAD_ADMIN_TOKEN": "short"], "WORKLOAD_ADMIN_TOKEN"),
            ([], ["WORKLOAD_ADMIN_TOKEN": "has a space in the middle"], "WORKLOAD_ADMIN_TOKEN"),
            ([], ["WORKLOAD_ADMIN_TOKEN_FILE": "/nonexistent/token"], "WORKLOAD_ADMIN_TOKEN_FILE"),
        ])
    func badSettings(arguments: [String], environment: [String: String], source: String) throws {
        let command = try WorkloadSimCommand.parse(arguments)
        let error = try #require(throws: ConfigurationError.self) { try command.resolve(environment: environment) }
        #expect(error.source == source)
    }
}
