import Grading
import XCTest

/// Tetrahedral interpolation of `LUT3D` (the CPU reference of the grade pass).
final class LUT3DInterpolationTests: XCTestCase {
    func testTetrahedralReproducesEveryLatticePointExactly() {
        let size = 5
        let cube = CubeFileWriterTests.randomCube(size: size, seed: 11)
        var worst = (point: SIMD3<Int>(), error: Float(0))
        for b in 0..<size { for g in 0..<size { for r in 0..<size {
            let input = SIMD3(Float(r), Float(g), Float(b)) / Float(size - 1)
            let i = (r + g * size + b * size * size) * 3
            let expected = SIMD3(cube.values[i], cube.values[i + 1], cube.values[i + 2])
            let error = maxAbs(cube.apply(input) - expected)
            if error > worst.error { worst = (SIMD3(r, g, b), error) }
        } } }
        XCTAssertEqual(worst.error, 0, "lattice point \(worst.point) is off by \(worst.error)")
    }

    /// Tolerance 2e-6: float rounding of the weights only.
    func testTetrahedralIsExactForAnAffineTransform() {
        let matrix = (SIMD3<Float>(0.8, 0.15, -0.1), SIMD3<Float>(0.05, 0.9, 0.2), SIMD3<Float>(-0.2, 0.1, 1.1))
        let offset = SIMD3<Float>(0.02, -0.05, 0.1)
        func affine(_ c: SIMD3<Float>) -> SIMD3<Float> {
            SIMD3((matrix.0 * c).sum(), (matrix.1 * c).sum(), (matrix.2 * c).sum()) + offset
        }
        let cube = LUT3D.sampling(size: 7, affine)
        var random = TestSupport.LCG(state: 12)
        var worst = (input: SIMD3<Float>(), error: Float(0))
        for _ in 0..<20_000 {
            let input = SIMD3(random.unit(), random.unit(), random.unit())
            let error = maxAbs(cube.apply(input) - affine(input))
            if error > worst.error { worst = (input, error) }
        }
        XCTAssertLessThanOrEqual(worst.error, 2e-6, "worst input \(worst.input) off by \(worst.error)")
    }

    func testIdentityTableLeavesEveryEightBitCodeUnchanged() {
        let lut = CubeLUT(cube: .identity(size: 17))
        let probe = TestSupport.probeImage()
        XCTAssertEqual(lut.grade(probe), probe)
    }

    func testDomainMapsInputBeforeLookup() {
        var cube = LUT3D.identity(size: 2)  // output = normalised input
        cube.domainMin = SIMD3(repeating: -1)
        cube.domainMax = SIMD3(repeating: 3)
        let out = cube.apply(SIMD3(1, -1, 3))
        XCTAssertEqual(out, SIMD3(0.5, 0, 1))
    }
}

/// The largest absolute component.
func maxAbs(_ v: SIMD3<Float>) -> Float { max(abs(v.x), abs(v.y), abs(v.z)) }
