/*{
    "DESCRIPTION": "Colour grade: an optional 1D shaper, then a 3D LUT with tetrahedral interpolation, mixed with the input by intensity and rounded to 8 bits (kept in float for 16-bit and OpenEXR output)",
    "CREDIT": "Empathy Engine",
    "ISFVSN": "2",
    "CATEGORIES": ["Color"],
    "INPUTS": [
        { "NAME": "inputImage", "TYPE": "image" },
        { "NAME": "intensity", "TYPE": "float", "DEFAULT": 1.0, "MIN": 0.0, "MAX": 1.0 }
    ]
}*/
#version 320 es
// The LUT pass (Sources/Effects/LUTPass.swift) runs this file as an ISF
// pass; its host code defines HAS_SHAPER (with SHAPER_SIZE, SHAPER_SCALE,
// SHAPER_OFFSET) and/or HAS_CUBE (with CUBE_SIZE, CUBE_SCALE, CUBE_OFFSET),
// and TABLES_IN_BUFFERS when the tables live in texture buffers (OpenGL ES
// 3.2). On an OpenGL ES 3.0 context the host compiles this file as GLSL ES
// 3.00, without TABLES_IN_BUFFERS.
//
// Per pixel, with x the input RGB in [0, 1] (the CPU reference is
// CubeLUT.grade in Sources/Grading/CubeLUT.swift):
//   g = cube(shaper(x));  y = x + (g - x) * intensity;
//   out = floor(y * 255 + 0.5) / 255, so the unorm8 store cannot truncate;
//   with EMPATHY_FLOAT (a float target) out = y (scene-linear OpenEXR is
//   the encoder's conversion, EXREncoder).
// Both tables hold RGBA32F texels (alpha unused) read with texelFetch: no
// hardware filtering, which quantises the weights on GPUs. On llvmpipe a
// texture buffer (one index per entry) fetches fastest, RGBA faster than RGB.
// The host declares inputImage, intensity and isf_FragNormCoord.
precision highp sampler3D;
#ifdef TABLES_IN_BUFFERS
precision highp samplerBuffer;
#endif

out vec4 fragColor;

#ifdef HAS_SHAPER
// The host compiles the table's size and domain mapping in as constants:
// t = x * shaperScale + shaperOffset maps the domain onto [0, size - 1]
// (LUT1D.latticeScale / latticeOffset).
const int shaperSize = SHAPER_SIZE;
const vec3 shaperScale = SHAPER_SCALE;
const vec3 shaperOffset = SHAPER_OFFSET;
#ifdef TABLES_IN_BUFFERS
uniform samplerBuffer shaperTable;

vec3 shaperEntry(int index) {
    return texelFetch(shaperTable, index).rgb;
}
#else
// Entries stored row after row in a (shaperRowWidth × rows) texture.
uniform sampler2D shaperTable;
uniform int shaperRowWidth;

vec3 shaperEntry(int index) {
    return texelFetch(shaperTable, ivec2(index % shaperRowWidth, index / shaperRowWidth), 0).rgb;
}
#endif

// Like LUT1D.apply: t = clamp(x * scale + offset, 0, size - 1),
// i = floor(t) (at most size - 2), f = t - i, out = v[i] + (v[i+1] - v[i]) * f.
vec3 applyShaper(vec3 rgb) {
    float last = float(shaperSize - 1);
    vec3 t = clamp(rgb * shaperScale + shaperOffset, 0.0, last);
    vec3 i = min(floor(t), vec3(last - 1.0));
    vec3 f = t - i;
    ivec3 k = ivec3(i);
    vec3 a = vec3(shaperEntry(k.r).r, shaperEntry(k.g).g, shaperEntry(k.b).b);
    vec3 b = vec3(shaperEntry(k.r + 1).r, shaperEntry(k.g + 1).g, shaperEntry(k.b + 1).b);
    return a + (b - a) * f;
}
#endif

#ifdef HAS_CUBE
// size³ entries, red fastest: entry (r, g, b) is at r + g*size + b*size².
// Constants from the host, as for the shaper: p = x * cubeScale + cubeOffset
// maps the domain onto [0, size - 1] (LUT3D.latticeScale / latticeOffset).
// As constants rather than uniforms they fold into the code: ~30% fewer
// instructions per pixel on llvmpipe.
const int cubeSize = CUBE_SIZE;
const vec3 cubeScale = CUBE_SCALE;
const vec3 cubeOffset = CUBE_OFFSET;
#ifdef TABLES_IN_BUFFERS
uniform samplerBuffer cubeTable;

vec3 cubeEntry(vec3 lattice) {
    float size = float(cubeSize);
    return texelFetch(cubeTable, int(dot(lattice, vec3(1.0, size, size * size)))).rgb;
}
#else
uniform sampler3D cubeTable;

vec3 cubeEntry(vec3 lattice) {
    return texelFetch(cubeTable, ivec3(lattice), 0).rgb;
}
#endif

// Tetrahedral interpolation, the same split into six tetrahedra as
// LUT3D.apply, written without branches: p = clamp(x * scale + offset,
// 0, size - 1), i = floor(p) (at most size - 2, so p = size - 1 lands
// on the far corner with weight 1), d = p - i. With d sorted as
// dmax >= dmid >= dmin, out = (1 - dmax) c000 + (dmax - dmid) c_max
// + (dmid - dmin) c_maxmid + dmin c111, where c_max steps one along the axis
// of dmax and c_maxmid along the axes of dmax and dmid. Ties are ordered
// r < g < b; any order gives the same value on a shared face. Four fetches;
// the branching form of LUT3D.apply drew 2× slower on llvmpipe, whose SIMD
// lanes run every branch taken by any pixel of the block.
vec3 applyCube(vec3 rgb) {
    float last = float(cubeSize - 1);
    vec3 p = clamp(rgb * cubeScale + cubeOffset, 0.0, last);
    vec3 i = min(floor(p), vec3(last - 1.0));
    vec3 d = p - i;
    float rOverG = 1.0 - step(d.r, d.g);
    float gOverB = 1.0 - step(d.g, d.b);
    float rOverB = 1.0 - step(d.r, d.b);
    vec3 maxAxis = vec3(rOverG * rOverB, (1.0 - rOverG) * gOverB, (1.0 - rOverB) * (1.0 - gOverB));
    vec3 minAxis = vec3((1.0 - rOverG) * (1.0 - rOverB), rOverG * (1.0 - gOverB), rOverB * gOverB);
    vec3 midAxis = vec3(1.0) - maxAxis - minAxis;
    float dMax = dot(d, maxAxis);
    float dMid = dot(d, midAxis);
    float dMin = dot(d, minAxis);
    vec3 c000 = cubeEntry(i);
    vec3 cMax = cubeEntry(i + maxAxis);
    vec3 cMaxMid = cubeEntry(i + maxAxis + midAxis);
    vec3 c111 = cubeEntry(i + vec3(1.0));
    return (1.0 - dMax) * c000 + (dMax - dMid) * cMax + (dMid - dMin) * cMaxMid + dMin * c111;
}
#endif

void main() {
    vec4 source = texture(inputImage, isf_FragNormCoord);
    vec3 x = source.rgb;
    vec3 graded = x;
#ifdef HAS_SHAPER
    graded = applyShaper(graded);
#endif
#ifdef HAS_CUBE
    graded = applyCube(graded);
#endif
    vec3 y = graded;
    if (intensity != 1.0) {  // uniform: every pixel takes the same side
        y = x + (graded - x) * intensity;
    }
#ifdef EMPATHY_FLOAT
    // A float target keeps the LUT's precision: no 8-bit rounding.
    fragColor = vec4(y, source.a);
#else
    // k / 255 by a multiply: the unorm8 store rounds k * (1/255) * 255 back to k.
    fragColor = vec4(clamp(floor(y * 255.0 + 0.5) * (1.0 / 255.0), 0.0, 1.0), source.a);
#endif
}
