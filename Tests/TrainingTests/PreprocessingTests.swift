import Engine
import MedIO
import Testing
@testable import Training

@Suite("Preprocessing")
struct PreprocessingTests {
    /// An LPS-oriented volume (x and y flipped w.r.t. RAS) with an asymmetric label blob.
    func lpsCase() -> (Volume, Volume) {
        let shape = [12, 10, 6]
        let affine: [[Double]] = [[-0.8, 0, 0, 20], [0, -0.9, 0, 30], [0, 0, 2.5, -5], [0, 0, 0, 1]]
        let g = Geometry(affine: affine)
        var img = [Float](repeating: 0, count: 720), lab = img
        for z in 0..<6 { for y in 0..<10 { for x in 0..<12 {
            let i = (z * 10 + y) * 12 + x
            img[i] = Float(x) + 100 * Float(y) + 10000 * Float(z)
            if x < 4 && y > 5 && z >= 2 { lab[i] = 1 }
        } } }
        return (Volume(shape: shape, data: img, geometry: g), Volume(shape: shape, data: lab, geometry: g))
    }

    func prep(resize: [Int]? = nil) -> Preprocessing {
        Preprocessing(resize: resize, spacing: nil, normalization: .none, ct: nil, huWindow: nil, classes: 2, channels: 1, labelNames: [:])
    }

    @Test func reorientsToRASAndRestoresExactly() {
        let (img, lab) = lpsCase()
        let p = prep()
        let t = p.labelTensor(lab)
        #expect(t.shape == [6, 10, 12])
        // RAS flips both x and y here (x' = 11 - x, y' = 9 - y): the blob (x < 4, y > 5) sits at high x', low y'.
        #expect(t[3, 1, 11] == 1 && t[3, 1, 0] == 0 && t[3, 8, 11] == 0)
        let onehot = Tensor.concat([(1 - t).reshaped([1, 6, 10, 12]), t.reshaped([1, 6, 10, 12])], axis: 0)
        let back = p.restoreLabels(probabilities: onehot, like: img)
        #expect(back.data == lab.data, "labels restored voxel for voxel in the original orientation")
        #expect(back.geometry == img.geometry)
        let image = p.imageTensor(img)
        #expect(image[0, 0, 0, 0] == img.data[(0 * 10 + 9) * 12 + 11], "image voxel (x'=0, y'=0) is original (x=11, y=9)")
    }

    @Test func resizedGridRestoresOntoTheOriginalGrid() {
        let (img, lab) = lpsCase()
        let p = prep(resize: [12, 20, 24])
        let t = p.labelTensor(lab)
        #expect(t.shape == [12, 20, 24])
        let onehot = Tensor.concat([(1 - t).reshaped([1, 12, 20, 24]), t.reshaped([1, 12, 20, 24])], axis: 0)
        let back = p.restoreLabels(probabilities: onehot, like: img)
        #expect(back.shape == img.spatialShape && back.geometry == img.geometry)
        let agree = zip(back.data, lab.data).filter { $0 == $1 }.count
        #expect(Double(agree) / Double(lab.data.count) > 0.97, "\(agree) of \(lab.data.count) voxels agree after resize and restore")
    }
}
