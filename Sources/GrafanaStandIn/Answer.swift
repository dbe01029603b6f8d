import Foundation
import JSONDocument

/// One HTTP answer of the stand-in: a status and a JSON body (possibly empty).
struct Answer: Sendable {
    var status: Int
    var body: Data

    static func json(_ status: Int, _ value: JSONValue) -> Answer {
        Answer(status: status, body: encodeJSON(value))
    }

    /// Grafana's usual error body: `{"message": "..."}`.
    static func message(_ status: Int, _ message: String) -> Answer {
        json(status, .object(["message": .string(message)]))
    }

    /// Grafana's body for errors that carry a status word (`version-mismatch`, `name-exists`, `not-found`).
    static func status(_ status: Int, _ word: String, _ message: String) -> Answer {
        json(status, .object(["status": .string(word), "message": .string(message)]))
    }

    static func empty(_ status: Int) -> Answer { Answer(status: status, body: Data()) }

    static let badRequestData = Answer.message(400, "bad request data")
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
