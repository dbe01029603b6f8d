import Foundation
import JSONDocument
import Testing

@testable import GrafanaStandIn

@Suite("grafana-standin dashboards")
struct DashboardTests {
    @Test("a new dashboard gets id, version 1, url and slug; GET returns it with meta")
    func create() async throws {
        try await Fixture.withStandIn { client async throws in
            let saved = try await client.post(
                "/api/dashboards/db",
                [
                    "dashboard": ["id": NSNull(), "uid": "prod", "title": "Production Overview", "tags": ["templated"]],
                    "message": "first", "overwrite": false,
                ])
            #expect(saved.status == 200)
            #expect(saved.object["status"] as? String == "success")
            #expect(saved.object["uid"] as? String == "prod")
            #expect(saved.object["version"] as? Int == 1)
            #expect(saved.object["slug"] as? String == "production-overview")
            #expect(saved.object["url"] as? String == "/d/prod/production-overview")
            let id = try #require(saved.object["id"] as? Int)
            let read = try await client.get("/api/dashboards/uid/prod")
            #expect(read.status == 200)
            let dashboard = try #require(read.object["dashboard"] as? [String: Any])
            let meta = try #require(read.object["meta"] as? [String: Any])
            #expect(dashboard["id"] as? Int == id)
            #expect(dashboard["version"] as? Int == 1)
            #expect(dashboard["title"] as? String == "Production Overview")
            #expect(meta["provisioned"] as? Bool == false)
            #expect(meta["folderUid"] as? String == "")
            #expect(meta["folderTitle"] as? String == "General")
            #expect(meta["version"] as? Int == 1)
            #expect(meta["slug"] as? String == "production-overview")
        }
    }

    @Test("the dashboard comes back with the key order it was posted with")
    func keyOrder() async throws {
        try await Fixture.withStandIn { client async throws in
            let posted = #"{"dashboard":{"title":"Order","uid":"order","zeta":1,"panels":[{"z":1,"a":2}],"alpha":{"b":1,"a":2},"id":null},"overwrite":true}"#
            #expect(try await client.request(.post, "/api/dashboards/db", raw: posted).status == 200)
            let read = try await client.get("/api/dashboards/uid/order")
            let model = try #require(try JSONDocument(parsing: read.body)["dashboard"])
            #expect(model.serialized(indent: nil).hasPrefix(#"{"title":"Order","uid":"order","zeta":1,"panels":[{"z":1,"a":2}],"alpha":{"b":1,"a":2},"id":"#))
            #expect(model.keys == ["title", "uid", "zeta", "panels", "alpha", "id", "version"])
        }
    }

    @Test("STANDIN_SORT_DASHBOARD_KEYS answers sorted keys, as real Grafana does")
    func sortedKeys() async throws {
        var configuration = Fixture.configuration()
        configuration.sortDashboardKeys = true
        try await Fixture.withStandIn(configuration) { client async throws in
            _ = try await client.request(.post, "/api/dashboards/db", raw: #"{"dashboard":{"title":"S","uid":"s","zeta":1,"alpha":2}}"#)
            let model = try #require(try JSONDocument(parsing: try await client.get("/api/dashboards/uid/s").body)["dashboard"])
            #expect(model.keys == ["alpha", "id", "title", "uid", "version", "zeta"])
        }
    }

    @Test("saving with the current version increments it; a stale version is 412 version-mismatch; overwrite wins")
    func versions() async throws {
        try await Fixture.withStandIn { client async throws in
            _ = try await client.post("/api/dashboards/db", ["dashboard": ["uid": "v", "title": "V"]])
            let second = try await client.post("/api/dashboards/db", ["dashboard": ["uid": "v", "title": "V", "version": 1]])
            #expect(second.status == 200)
            #expect(second.object["version"] as? Int == 2)
            let third = try await client.post("/api/dashboards/db", ["dashboard": ["uid": "v", "title": "V", "version": 2]])
            #expect(third.object["version"] as? Int == 3)
            let stale = try await client.post("/api/dashboards/db", ["dashboard": ["uid": "v", "title": "V", "version": 1]])
            #expect(stale.status == 412)
            #expect(stale.object["status"] as? String == "version-mismatch")
            #expect(stale.message == "The dashboard has been changed by someone else")
            let noVersion = try await client.post("/api/dashboards/db", ["dashboard": ["uid": "v", "title": "V"]])
            #expect(noVersion.status == 412)
            let forced = try await client.post("/api/dashboards/db", ["dashboard": ["uid": "v", "title": "V", "version": 1], "overwrite": true])
            #expect(forced.status == 200)
            #expect(forced.object["version"] as? Int == 4)
            #expect(try await client.get("/api/dashboards/uid/v").object["meta"].flatMap { ($0 as? [String: Any])?["version"] as? Int } == 4)
        }
    }

    @Test("another dashboard with the same title in the same folder is 412 name-exists; other folders are fine")
    func nameExists() async throws {
        try await Fixture.withStandIn { client async throws in
            _ = try await client.post("/api/folders", ["uid": "f", "title": "F"])
            #expect(try await client.post("/api/dashboards/db", ["dashboard": ["uid": "one", "title": "Same"]]).status == 200)
            let clash = try await client.post("/api/dashboards/db", ["dashboard": ["uid": "two", "title": "Same"]])
            #expect(clash.status == 412)
            #expect(clash.object["status"] as? String == "name-exists")
            #expect(clash.message == "A dashboard with the same name in the folder already exists")
            #expect(try await client.post("/api/dashboards/db", ["dashboard": ["uid": "two", "title": "Same"], "folderUid": "f"]).status == 200)
            #expect(try await client.get("/api/search?type=dash-db").array.count == 2)
        }
    }

    @Test(
        "bad dashboard input is a 400 with Grafana's message",
        arguments: [
            (#"{"dashboard":{"uid":"x"}}"#, "Dashboard title cannot be empty"),
            (#"{"dashboard":{"title":"  "}}"#, "Dashboard title cannot be empty"),
            (#"{"dashboard":{"title":"t","uid":"bad uid"}}"#, "uid contains illegal characters"),
            (#"{"dashboard":{"title":"t"},"folderUid":"missing"}"#, "folder not found"),
            (#"{"title":"no envelope"}"#, "bad request data"),
            (#"{"dashboard":"#, "bad request data"),
        ])
    func badInput(body: String, message: String) async throws {
        try await Fixture.withStandIn { client async throws in
            let reply = try await client.request(.post, "/api/dashboards/db", raw: body)
            #expect(reply.status == 400)
            #expect(reply.message == message)
            #expect(try await client.get("/api/search").array.isEmpty)
        }
    }

    @Test("an id that does not exist is 404; GET and DELETE of unknown uids are 404")
    func notFound() async throws {
        try await Fixture.withStandIn { client async throws in
            let unknownID = try await client.post("/api/dashboards/db", ["dashboard": ["id": 4242, "title": "T"]])
            #expect(unknownID.status == 404)
            #expect(unknownID.message == "Dashboard not found")
            #expect(try await client.get("/api/dashboards/uid/nope").status == 404)
            #expect(try await client.delete("/api/dashboards/uid/nope").status == 404)
        }
    }

    @Test("DELETE removes a dashboard and answers its title")
    func delete() async throws {
        try await Fixture.withStandIn { client async throws in
            _ = try await client.post("/api/dashboards/db", ["dashboard": ["uid": "gone", "title": "Gone"]])
            let deleted = try await client.delete("/api/dashboards/uid/gone")
            #expect(deleted.status == 200)
            #expect(deleted.object["title"] as? String == "Gone")
            #expect(deleted.message == "Dashboard Gone deleted")
            #expect(try await client.get("/api/dashboards/uid/gone").status == 404)
        }
    }

    @Test("search filters by query, type, folderUIDs, dashboardUIDs and tag")
    func search() async throws {
        try await Fixture.withStandIn { client async throws in
            _ = try await client.post("/api/folders", ["uid": "mon", "title": "Monitoring"])
            _ = try await client.post(
                "/api/dashboards/db", ["dashboard": ["uid": "model", "title": "Model Performance", "tags": ["model", "gpu"]], "folderUid": "mon"])
            _ = try await client.post("/api/dashboards/db", ["dashboard": ["uid": "system", "title": "System Performance", "tags": ["system"]]])
            func uids(_ query: String) async throws -> [String] {
                try await client.get("/api/search\(query)").array.compactMap { $0["uid"] as? String }
            }
            #expect(try await uids("") == ["mon", "model", "system"])
            #expect(try await uids("?type=dash-folder") == ["mon"])
            #expect(try await uids("?type=dash-db") == ["model", "system"])
            #expect(try await uids("?query=model") == ["model"])
            #expect(try await uids("?query=model+perf") == ["model"])
            #expect(try await uids("?query=Model%20Performance") == ["model"])
            #expect(try await uids("?dashboardUIDs=model,system&type=dash-db") == ["model", "system"])
            #expect(try await uids("?query=PERFORMANCE&type=dash-db") == ["model", "system"])
            #expect(try await uids("?folderUIDs=mon") == ["model"])
            #expect(try await uids("?dashboardUIDs=system&dashboardUIDs=model") == ["model", "system"])
            #expect(try await uids("?tag=gpu") == ["model"])
            #expect(try await uids("?tag=gpu&tag=system") == [])
            let hit = try #require(try await client.get("/api/search?dashboardUIDs=model").array.first)
            #expect(hit["type"] as? String == "dash-db")
            #expect(hit["folderUid"] as? String == "mon")
            #expect(hit["folderTitle"] as? String == "Monitoring")
            #expect(hit["url"] as? String == "/d/model/model-performance")
        }
    }
}
