import Foundation
import Testing

@testable import GrafanaStandIn

@Suite("grafana-standin folders")
struct FolderTests {
    @Test("POST creates a folder with version 1; GET by uid and the list return it")
    func create() async throws {
        try await Fixture.withStandIn { client async throws in
            let created = try await client.post("/api/folders", ["uid": "stackpilot", "title": "StackPilot"])
            #expect(created.status == 200)
            #expect(created.object["uid"] as? String == "stackpilot")
            #expect(created.object["title"] as? String == "StackPilot")
            #expect(created.object["version"] as? Int == 1)
            #expect(created.object["url"] as? String == "/dashboards/f/stackpilot/stackpilot")
            #expect(try await client.get("/api/folders/stackpilot").object["title"] as? String == "StackPilot")
            let list = try await client.get("/api/folders")
            #expect(list.array.map { $0["uid"] as? String } == ["stackpilot"])
            let generated = try await client.post("/api/folders", ["title": "No uid"])
            #expect((generated.object["uid"] as? String)?.isEmpty == false)
            #expect(try await client.get("/api/folders?limit=1").array.count == 1)
            #expect(try await client.get("/api/folders?limit=1&page=2").array.count == 1)
            #expect(try await client.get("/api/folders?limit=1000").array.count == 2)
        }
    }

    @Test("a duplicate uid or title is a 409 and changes nothing")
    func duplicates() async throws {
        try await Fixture.withStandIn { client async throws in
            _ = try await client.post("/api/folders", ["uid": "a", "title": "A"])
            let sameUID = try await client.post("/api/folders", ["uid": "a", "title": "B"])
            #expect(sameUID.status == 409)
            #expect(sameUID.message == "a folder/dashboard with the same uid already exists")
            let sameTitle = try await client.post("/api/folders", ["uid": "b", "title": "A"])
            #expect(sameTitle.status == 409)
            #expect(sameTitle.message?.hasPrefix("a folder with the same name already exists") == true)
            #expect(try await client.get("/api/folders").array.count == 1)
        }
    }

    @Test(
        "bad folder input is a 400 naming the problem",
        arguments: [
            (["title": ""], "folder title cannot be empty"),
            (["title": "x", "uid": "has space"], "uid contains illegal characters"),
            (["title": "x", "uid": String(repeating: "u", count: 41)], "uid too long, max 40 characters"),
        ])
    func badInput(body: [String: String], message: String) async throws {
        try await Fixture.withStandIn { client async throws in
            let reply = try await client.post("/api/folders", body)
            #expect(reply.status == 400)
            #expect(reply.message == message)
        }
    }

    @Test("PUT needs the current version unless overwrite; a stale one is 412 version-mismatch")
    func update() async throws {
        try await Fixture.withStandIn { client async throws in
            _ = try await client.post("/api/folders", ["uid": "f", "title": "Old"])
            let renamed = try await client.put("/api/folders/f", ["title": "New", "version": 1])
            #expect(renamed.status == 200)
            #expect(renamed.object["version"] as? Int == 2)
            let stale = try await client.put("/api/folders/f", ["title": "Newer", "version": 1])
            #expect(stale.status == 412)
            #expect(stale.object["status"] as? String == "version-mismatch")
            #expect(stale.message == "the folder has been changed by someone else")
            let forced = try await client.put("/api/folders/f", ["title": "Newer", "overwrite": true])
            #expect(forced.status == 200)
            #expect(forced.object["version"] as? Int == 3)
            #expect(try await client.get("/api/folders/f").object["title"] as? String == "Newer")
        }
    }

    @Test("unknown folders are 404 with status not-found")
    func notFound() async throws {
        try await Fixture.withStandIn { client async throws in
            for reply in [
                try await client.get("/api/folders/nope"), try await client.put("/api/folders/nope", ["title": "x", "overwrite": true]),
                try await client.delete("/api/folders/nope"),
            ] {
                #expect(reply.status == 404)
                #expect(reply.object["status"] as? String == "not-found")
                #expect(reply.message == "folder not found")
            }
        }
    }

    @Test("DELETE removes the folder and its dashboards")
    func deleteWithDashboards() async throws {
        try await Fixture.withStandIn { client async throws in
            _ = try await client.post("/api/folders", ["uid": "f", "title": "F"])
            #expect(try await client.post("/api/dashboards/db", ["dashboard": ["title": "In F", "uid": "d1"], "folderUid": "f"]).status == 200)
            let deleted = try await client.delete("/api/folders/f")
            #expect(deleted.status == 200)
            #expect(deleted.message == "Folder deleted")
            #expect(deleted.object["id"] as? Int != nil)
            #expect(try await client.get("/api/dashboards/uid/d1").status == 404)
            #expect(try await client.get("/api/folders").array.isEmpty)
        }
    }
}
