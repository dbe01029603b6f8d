import Foundation
import Hummingbird
import JSONDocument

/// The HTTP layer's answer: a status and a JSON body (possibly empty). Only the router builds
/// these, from the domain's payloads (`JSONValue`, dashboards as `JSONDocument`) and refusals
/// (`GrafanaAPIError`).
struct Answer: Sendable {
    var status: Int
    var body: Data

    static func json(_ status: Int, _ value: JSONValue) -> Answer {
        Answer(status: status, body: encodeJSON(value))
    }

    /// Grafana's usual body: `{"message": "..."}`.
    static func message(_ status: Int, _ message: String) -> Answer {
        json(status, .object(["message": .string(message)]))
    }

    static func empty(_ status: Int) -> Answer { Answer(status: status, body: Data()) }

    var response: Response {
        var headers = HTTPFields()
        if !body.isEmpty { headers[.contentType] = "application/json" }
        return Response(status: .init(code: status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}

extension Answer {
    /// What Grafana answers for a refusal of the domain.
    init(_ error: GrafanaAPIError) {
        self.init(status: error.status, body: error.body.map(encodeJSON) ?? Data())
    }
}

func encodeJSON(_ value: JSONValue) -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return (try? encoder.encode(value)) ?? Data("null".utf8)
}

func decodeJSON(_ data: Data) -> JSONValue? {
    guard !data.isEmpty else { return nil }
    return try? JSONDecoder().decode(JSONValue.self, from: data)
}
