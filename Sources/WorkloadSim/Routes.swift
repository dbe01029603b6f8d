import Foundation
import Hummingbird
import Logging

/// Body of `POST /v1/infer` (model API) and of the model call the api makes. Every field is optional.
public struct InferenceRequest: Codable, Sendable {
    public var model: String?
    public var prompt: String?
    public var modality: String?
    public var maxTokens: Int?

    public init(model: String? = nil, prompt: String? = nil, modality: String? = nil, maxTokens: Int? = nil) {
        self.model = model
        self.prompt = prompt
        self.modality = modality
        self.maxTokens = maxTokens
    }

    enum CodingKeys: String, CodingKey {
        case model, prompt, modality
        case maxTokens = "max_tokens"
    }
}

public struct InferenceResponse: Codable, Sendable {
    public var model: String
    public var output: String
    public var inputTokens: Int
    public var outputTokens: Int
    public var latencySeconds: Double

    enum CodingKeys: String, CodingKey {
        case model, output
        case inputTokens = "input_tokens"
        case outputTokens = "output_tokens"
        case latencySeconds = "latency_seconds"
    }
}

/// Body of `POST /v1/query` (api).
public struct QueryRequest: Codable, Sendable {
    public var query: String?
    public var model: String?
    public var modality: String?

    public init(query: String? = nil, model: String? = nil, modality: String? = nil) {
        self.query = query
        self.model = model
        self.modality = modality
    }
}

/// A request field that cannot be served: a 400 naming `field` (a JSON key, or `body`).
public struct InvalidRequest: Error, Sendable, Hashable, CustomStringConvertible {
    public var field: String
    public var message: String

    public var description: String { "\(field): \(message)" }

    /// The first key of a decoding error's path, so a wrongly typed field is named.
    static func decoding(_ error: any Error) -> InvalidRequest {
        let path: [any CodingKey]
        switch error {
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context),
            DecodingError.keyNotFound(_, let context), DecodingError.dataCorrupted(let context):
            path = context.codingPath
        default:
            path = []
        }
        let field = path.first?.stringValue ?? "body"
        return InvalidRequest(field: field, message: field == "body" ? "not a JSON object of the documented fields" : "wrong type")
    }
}

/// Limits of the request fields, checked before anything reaches a metric or an allocation.
public enum RequestLimits {
    public static let maxTokens = 1...8192
    public static let maxTextBytes = 64 << 10
    public static let modalities = ["text", "image"]

    static func model(_ model: String?) throws(InvalidRequest) {
        guard let model else { return }
        guard (1...64).contains(model.utf8.count), model.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.:/".contains($0)) }) else {
            throw InvalidRequest(field: "model", message: "must be 1-64 ASCII letters, digits or -_.:/")
        }
    }

    static func modality(_ modality: String?) throws(InvalidRequest) {
        guard let modality, !modalities.contains(modality) else { return }
        throw InvalidRequest(field: "modality", message: "must be one of \(modalities.joined(separator: ", "))")
    }

    static func text(_ text: String?, field: String) throws(InvalidRequest) {
        guard let text, text.utf8.count > maxTextBytes else { return }
        throw InvalidRequest(field: field, message: "longer than \(maxTextBytes) bytes")
    }
}

extension InferenceRequest {
    /// Throws naming the first field out of its limits (`max_tokens` reaches a counter increment,
    /// which traps on a negative count).
    public func validate() throws(InvalidRequest) {
        try RequestLimits.model(model)
        try RequestLimits.text(prompt, field: "prompt")
        try RequestLimits.modality(modality)
        if let maxTokens, !RequestLimits.maxTokens.contains(maxTokens) {
            throw InvalidRequest(field: "max_tokens", message: "must be in \(RequestLimits.maxTokens.lowerBound)...\(RequestLimits.maxTokens.upperBound)")
        }
    }
}

extension QueryRequest {
    public func validate() throws(InvalidRequest) {
        try RequestLimits.model(model)
        try RequestLimits.text(query, field: "query")
        try RequestLimits.modality(modality)
    }
}

public struct QueryResponse: Codable, Sendable {
    public var answer: String
    public var model: String
    public var latencySeconds: Double

    enum CodingKeys: String, CodingKey {
        case answer, model
        case latencySeconds = "latency_seconds"
    }
}

/// Records `http_*` metrics for every request, labelled by the matched route (not the raw URI,
/// so that unknown paths cannot explode the series count).
struct HTTPMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: WorkloadMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let method = request.method.rawValue
        let requestBytes = request.headers[.contentLength].flatMap { Int($0) } ?? 0
        do {
            let response = try await next(request, context)
            metrics.recordHTTP(
                method: method, route: context.endpointPath ?? "unmatched", status: response.status.code,
                seconds: Self.seconds(since: start), requestBytes: requestBytes, responseBytes: response.body.contentLength ?? 0)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            metrics.recordHTTP(
                method: method, route: context.endpointPath ?? "unmatched", status: status,
                seconds: Self.seconds(since: start), requestBytes: requestBytes, responseBytes: 0)
            throw error
        }
    }

    static func seconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }
}

/// Guards `/admin/*`: off without a configured token (403), else `Authorization: Bearer <token>` (401).
struct AdminAuthMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: AdminToken?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let token else {
            return json(
                .forbidden,
                [
                    "code": "admin_disabled",
                    "error": "fault injection over HTTP is off: start workload-sim with WORKLOAD_ADMIN_TOKEN or WORKLOAD_ADMIN_TOKEN_FILE",
                ])
        }
        guard token.authorizes(request.headers[.authorization]) else {
            var response = json(.unauthorized, ["code": "unauthorized", "error": "/admin needs Authorization: Bearer <WORKLOAD_ADMIN_TOKEN>"])
            response.headers[.wwwAuthenticate] = "Bearer"
            return response
        }
        return try await next(request, context)
    }
}

/// Builds the router of one workload-sim role.
struct WorkloadRoutes: Sendable {
    let configuration: WorkloadConfiguration
    let simulator: Simulator
    /// Transport to the model API (api role only).
    let modelAPI: UpstreamClient?
    let logger: Logger

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: HTTPMetricsMiddleware(metrics: simulator.metrics))
        router.get("/metrics") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: simulator.exposition())))
        }
        router.get("/health") { _, _ in
            json(.ok, ["status": "ok", "role": configuration.role.rawValue])
        }
        let admin = router.group("/admin").add(middleware: AdminAuthMiddleware(token: configuration.adminToken))
        admin.get("faults") { _, _ in
            try jsonEncoded(.ok, simulator.faults)
        }
        admin.post("faults") { request, _ in
            let body = try await request.body.collect(upTo: 64 << 10)
            let updated: Faults
            do {
                updated = try simulator.faults.applying(json: Data(buffer: body))
            } catch {
                return json(.badRequest, ["error": "\(error)"])
            }
            simulator.setFaults(updated)
            logger.notice("faults changed", metadata: Self.metadata(updated))
            return try jsonEncoded(.ok, updated)
        }
        admin.delete("faults") { _, _ in
            simulator.setFaults(.none)
            logger.notice("faults cleared")
            return try jsonEncoded(.ok, Faults.none)
        }
        switch configuration.role {
        case .modelAPI:
            router.post("/v1/infer") { request, _ in try await infer(request) }
        case .api:
            router.post("/v1/query") { request, _ in try await query(request) }
        }
        return router
    }

    static func metadata(_ faults: Faults) -> Logger.Metadata {
        [
            "latency_seconds": "\(faults.latencySeconds)", "error_ratio": "\(faults.errorRatio)",
            "leak_mb_per_minute": "\(faults.leakMBPerMinute)", "gpu_pressure": "\(faults.gpuPressure)",
        ]
    }

    // MARK: model API

    func infer(_ request: Request) async throws -> Response {
        let start = ContinuousClock.now
        let body = try await request.body.collect(upTo: 1 << 20)
        let input: InferenceRequest
        do {
            input = body.readableBytes == 0 ? InferenceRequest() : try JSONDecoder().decode(InferenceRequest.self, from: Data(buffer: body))
            try input.validate()
        } catch {
            let invalid = error as? InvalidRequest ?? .decoding(error)
            // A bad name is counted as "other" (the label set stays bounded); no name as the default model.
            simulator.metrics.errors(model: invalidModelLabel(body), type: "invalid_input").increment()
            return Self.invalid(invalid, what: "inference request")
        }
        let model = input.model ?? WorkloadMetrics.models[0]
        let prompt = input.prompt ?? "describe the image"
        let inputTokens = max(1, Int(Double(prompt.split(separator: " ").count) * 1.3)) + (input.modality == "image" ? 576 : 0)
        let outputTokens = min(input.maxTokens ?? 256, Int.random(in: 16...160))

        simulator.beginInference()
        defer { simulator.endInference() }
        // Work time grows with the tokens produced; the latency fault comes on top.
        let workSeconds = 0.02 + Double(outputTokens) * 0.0015 + Double.random(in: 0...0.03)
        try await Task.sleep(for: .seconds(workSeconds + simulator.faults.latencySeconds))
        let seconds = HTTPMetricsMiddleware<BasicRequestContext>.seconds(since: start)
        simulator.metrics.inferenceLatency(model: model).record(seconds)

        if simulator.gpuExhausted {
            simulator.metrics.inferences(model: model, status: "error").increment()
            simulator.metrics.errors(model: model, type: "gpu_out_of_memory").increment()
            return json(.internalServerError, ["error": "CUDA out of memory (simulated: gpu_pressure fault is 1.0)"])
        }
        if simulator.shouldInjectError() {
            simulator.metrics.inferences(model: model, status: "error").increment()
            simulator.metrics.errors(model: model, type: "injected").increment()
            return json(.internalServerError, ["error": "inference failed (injected by the error_ratio fault)"])
        }
        simulator.metrics.inferences(model: model, status: "success").increment()
        simulator.metrics.tokens(model: model, direction: "input").increment(by: Int64(inputTokens))
        simulator.metrics.tokens(model: model, direction: "output").increment(by: Int64(outputTokens))
        simulator.metrics.tokensPerSecond(model: model).set(Double(outputTokens) / max(seconds, 0.001))
        let output = InferenceResponse(
            model: model, output: "simulated answer of \(outputTokens) tokens", inputTokens: inputTokens,
            outputTokens: outputTokens, latencySeconds: seconds)
        return try jsonEncoded(.ok, output)
    }

    /// 400 naming the field (`field` is stable; `error` is for people).
    static func invalid(_ invalid: InvalidRequest, what: String) -> Response {
        json(.badRequest, ["error": "not a valid \(what): \(invalid)", "field": invalid.field])
    }

    /// The `model` label of an invalid inference request: the default model when no name could be
    /// read, else that name's bounded label.
    func invalidModelLabel(_ body: ByteBuffer) -> String {
        struct ModelOnly: Decodable { var model: String? }
        let model = (try? JSONDecoder().decode(ModelOnly.self, from: Data(buffer: body)))?.model
        return model.map(WorkloadMetrics.modelLabel) ?? WorkloadMetrics.models[0]
    }

    // MARK: api

    func query(_ request: Request) async throws -> Response {
        let start = ContinuousClock.now
        let body = try await request.body.collect(upTo: 1 << 20)
        let input: QueryRequest
        do {
            input = body.readableBytes == 0 ? QueryRequest() : try JSONDecoder().decode(QueryRequest.self, from: Data(buffer: body))
            try input.validate()
        } catch {
            return Self.invalid(error as? InvalidRequest ?? .decoding(error), what: "query")
        }
        let latency = simulator.faults.latencySeconds
        if latency > 0 { try await Task.sleep(for: .seconds(latency)) }
        if simulator.shouldInjectError() {
            return json(.internalServerError, ["error": "query failed (injected by the error_ratio fault)"])
        }
        guard let modelAPI else {
            return json(.serviceUnavailable, ["error": "no model API configured"])
        }
        let inference = InferenceRequest(model: input.model, prompt: input.query ?? "what is in this picture?", modality: input.modality)
        let upstream: (status: Int, body: Data)
        do {
            upstream = try await modelAPI.postJSON("/v1/infer", body: try JSONEncoder().encode(inference), timeout: .seconds(120))
        } catch {
            logger.warning("model API unreachable", metadata: ["model_api": "\(configuration.modelAPIURL)", "error": "\(error)"])
            return json(.badGateway, ["error": "model API at \(configuration.modelAPIURL) is unreachable: \(error)"])
        }
        guard (200..<300).contains(upstream.status), let result = try? JSONDecoder().decode(InferenceResponse.self, from: upstream.body) else {
            let detail = String(decoding: upstream.body.prefix(300), as: UTF8.self)
            return json(.badGateway, ["error": "model API answered \(upstream.status): \(detail)"])
        }
        let answer = QueryResponse(
            answer: result.output, model: result.model,
            latencySeconds: HTTPMetricsMiddleware<BasicRequestContext>.seconds(since: start))
        return try jsonEncoded(.ok, answer)
    }
}

func json(_ status: HTTPResponse.Status, _ object: [String: String]) -> Response {
    // [String: String] always encodes.
    let data = (try? JSONEncoder().encode(object)) ?? Data("{}".utf8)
    return jsonResponse(status, data)
}

func jsonEncoded(_ status: HTTPResponse.Status, _ value: some Encodable) throws -> Response {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    return jsonResponse(status, try encoder.encode(value))
}

private func jsonResponse(_ status: HTTPResponse.Status, _ data: Data) -> Response {
    var headers = HTTPFields()
    headers[.contentType] = "application/json"
    return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
}
