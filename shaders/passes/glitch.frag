/*{
    "DESCRIPTION": "Glitch: RGB split, scanline and block displacement, and a datamosh-like smear of the last frame through a persistent buffer; random from FRAMEINDEX, so a frame renders the same every time",
    "CREDIT": "Empathy Engine",
    "ISFVSN": "2",
    "CATEGORIES": ["Stylize", "Glitch"],
    "RESET_INTERVAL": 12,
    "IDENTITY_WHEN_ZERO": ["strength", "burst"],
    "INPUTS": [
        { "NAME": "inputImage", "TYPE": "image" },
        { "NAME": "strength", "TYPE": "float", "DEFAULT": 0.5, "MIN": 0.0, "MAX": 1.0 },
        { "NAME": "burst", "TYPE": "float", "DEFAULT": 0.0, "MIN": 0.0, "MAX": 1.0 },
        { "NAME": "rgbSplitPixels", "TYPE": "float", "DEFAULT": 12.0, "MIN": 0.0, "MAX": 64.0 },
        { "NAME": "blockPixels", "TYPE": "float", "DEFAULT": 32.0, "MIN": 4.0, "MAX": 256.0 },
        { "NAME": "smear", "TYPE": "float", "DEFAULT": 0.6, "MIN": 0.0, "MAX": 0.98 }
    ],
    "PASSES": [
        { "TARGET": "lastFrame", "PERSISTENT": true }
    ]
}*/
#version 320 es
// One pass, drawn into the persistent buffer lastFrame, which is therefore
// both this frame's output and, next frame, the picture the smear reads (a
// real datamosh smears the decoded picture, earlier glitches included). The
// buffer is cleared every RESET_INTERVAL frames, like a keyframe.
//
// With g = clamp(strength·0.5 + burst, 0, 1) and p the pixel:
//   line displacement: lines (2 px) with random r4 < 0.08·g shift along x by (r5 − 0.5)·80·g;
//   block displacement: blocks with random r6 < 0.15·g shift by (r7,8 − 0.5)·blockPixels·2·g;
//   at = p + both shifts;
//   RGB split: red from at + (split, 0), green from at, blue from at − (split, 0),
//     split = rgbSplitPixels · (0.25·strength + burst) · (0.5 + 0.5·r4);
//   scanlines: odd rows × (1 − 0.15·g);
//   datamosh: blocks of p with random r1 < g keep last frame's output moved
//     by the block's motion vector (r2,3 − 0.5)·blockPixels/4:
//     out = mix(out, last(p − motion), smear) where last is not blank.
// Random values r_k come from an integer hash of (FRAMEINDEX, line or block,
// k), so they are exact integers on every GPU.
out vec4 fragColor;

uint hash(uint x) {
    x ^= x >> 16; x *= 0x7feb352du;
    x ^= x >> 15; x *= 0x846ca68bu;
    x ^= x >> 16;
    return x;
}

float random(int a, int b, int salt) {
    // One hash of a linear mix: half the integer work of hashing twice.
    uint h = hash(uint(a) * 0x9e3779b1u + uint(b) * 0x85ebca77u + uint(salt) * 0xc2b2ae3du);
    return float(h >> 8) * (1.0 / 16777216.0);
}

void main() {
    float gain = clamp(strength * 0.5 + burst, 0.0, 1.0);
    if (gain == 0.0) {
        // Calm: every term below is the identity (no shift, split, scanline
        // or smear). The header says so (IDENTITY_WHEN_ZERO): the renderer
        // copies instead of drawing, because a software rasterizer runs every
        // branch of a shader and this return would skip nothing.
        fragColor = IMG_THIS_PIXEL(inputImage);
        return;
    }
    vec2 pixel = isf_FragNormCoord * RENDERSIZE;
    ivec2 block = ivec2(pixel / blockPixels);
    int blockId = block.x + block.y * 4096;
    int line = int(pixel.y / 2.0);
    float lineRandom = random(FRAMEINDEX, line, 4);
    float lineShift = lineRandom < 0.08 * gain ? (random(FRAMEINDEX, line, 5) - 0.5) * 80.0 * gain : 0.0;
    vec2 blockShift = random(FRAMEINDEX, blockId, 6) < 0.15 * gain
        ? (vec2(random(FRAMEINDEX, blockId, 7), random(FRAMEINDEX, blockId, 8)) - 0.5) * blockPixels * 2.0 * gain
        : vec2(0.0);
    vec2 at = pixel + vec2(lineShift, 0.0) + blockShift;
    float split = rgbSplitPixels * (0.25 * strength + burst) * (0.5 + 0.5 * lineRandom);
    float red = IMG_NORM_PIXEL(inputImage, (at + vec2(split, 0.0)) / RENDERSIZE).r;
    vec4 middle = IMG_NORM_PIXEL(inputImage, at / RENDERSIZE);
    float blue = IMG_NORM_PIXEL(inputImage, (at - vec2(split, 0.0)) / RENDERSIZE).b;
    // Scanlines: every other line darkened by up to 15 %.
    float scan = 1.0 - 0.15 * gain * float(int(pixel.y) & 1);
    vec3 rgb = vec3(red, middle.g, blue) * scan;
    // The condition is the same over a whole block (a GPU skips the fetch
    // for blocks that take the new picture; llvmpipe fetches anyway).
    if (random(FRAMEINDEX, blockId, 1) < gain) {
        vec2 motion = (vec2(random(FRAMEINDEX, blockId, 2), random(FRAMEINDEX, blockId, 3)) - 0.5) * blockPixels * 0.25;
        vec4 last = IMG_NORM_PIXEL(lastFrame, (pixel - motion) / RENDERSIZE);
        rgb = mix(rgb, last.rgb, last.a > 0.0 ? smear : 0.0);
    }
#ifdef EMPATHY_FLOAT
    fragColor = vec4(rgb, middle.a);  // a floating-point chain keeps the precision
#else
    fragColor = vec4(floor(clamp(rgb, 0.0, 1.0) * 255.0 + 0.5) * (1.0 / 255.0), middle.a);
#endif
}
