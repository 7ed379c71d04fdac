// Tests of Surface.swift: medpy's border rule (mask XOR erosion by the cross, image border = background).

import Testing
@testable import Evaluation

@Suite struct SurfaceTests {
    @Test func filledSquareKeepsInteriorOut() throws {
        // 5x5 all-foreground image: everything touching the image border is surface, the 3x3 centre is not.
        let s = try Surface.mask(of: [Bool](repeating: true, count: 25), shape: [5, 5])
        for y in 0..<5 { for x in 0..<5 {
            let border = x == 0 || y == 0 || x == 4 || y == 4
            #expect(s[y * 5 + x] == border)
        } }
    }

    @Test func crossConnectivityIgnoresDiagonals() throws {
        // A plus-shaped 2D object: the centre has all 4 face neighbours so it is interior.
        var m = [Bool](repeating: false, count: 25)
        for i in [7, 11, 12, 13, 17] { m[i] = true }
        #expect(try Surface.indices(of: m, shape: [5, 5]) == [7, 11, 13, 17])
    }

    @Test func cube3D() throws {
        // 3x3x3 cube inside a 5x5x5 volume: only the centre voxel is interior.
        var m = [Bool](repeating: false, count: 125)
        for z in 1...3 { for y in 1...3 { for x in 1...3 { m[z * 25 + y * 5 + x] = true } } }
        let idx = try Surface.indices(of: m, shape: [5, 5, 5])
        #expect(idx.count == 26)
        #expect(!idx.contains(62))
    }

    @Test func thinSlabIn3DIsAllSurface() throws {
        // A single-slice 3D volume: every voxel lacks a neighbour along D, so all are surface (unlike 2D).
        let m = [Bool](repeating: true, count: 16)
        #expect(try Surface.indices(of: m, shape: [1, 4, 4]).count == 16)
        #expect(try Surface.indices(of: m, shape: [4, 4]).count == 12)
    }
}
