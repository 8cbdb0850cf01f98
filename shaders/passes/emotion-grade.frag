/*{
    "DESCRIPTION": "Emotion-driven grade: Neon Noir looks blended by emotion, with intensity, saturation and contrast; one tetrahedral lookup in the host's blended table",
    "CREDIT": "Empathy Engine",
    "ISFVSN": "2",
    "CATEGORIES": ["Color"],
    "INPUTS": [
        { "NAME": "inputImage", "TYPE": "image" },
        { "NAME": "intensity", "TYPE": "float", "DEFAULT": 1.0, "MIN": 0.0, "MAX": 1.0 },
        { "NAME": "saturation", "TYPE": "float", "DEFAULT": 1.0, "MIN": 0.0, "MAX": 2.0 },
        { "NAME": "contrast", "TYPE": "float", "DEFAULT": 1.0, "MIN": 0.5, "MAX": 2.0 }
    ]
}*/
#version 320 es
// The host declares gradeTable (a samplerBuffer of cubeSize³ RGBA32F
// entries, red fastest) and the constant cubeSize. The table is the looks'
// blend by emotion weight with intensity, saturation and contrast already
// applied to its entries (see EmotionGradePass): every step of the grade is
// affine, and tetrahedral interpolation reproduces affine maps of the
// entries exactly, so per pixel, with x the input RGB in [0, 1]:
//   y = tetra(table, x)                        (as grade.frag, 0…1 domain)
//   out = floor(clamp(y, 0, 1) * 255 + 0.5) / 255; alpha passes through.
// The header still declares intensity, saturation and contrast: they are
// the pass's parameters (with their ranges) even though the host applies
// them.
out vec4 fragColor;

vec3 cubeEntry(vec3 lattice) {
    float size = float(cubeSize);
    return texelFetch(gradeTable, int(dot(lattice, vec3(1.0, size, size * size)))).rgb;
}

// Branchless tetrahedral interpolation, the split of grade.frag / LUT3D.apply.
vec3 applyCube(vec3 rgb) {
    float last = float(cubeSize - 1);
    vec3 p = clamp(rgb * last, 0.0, last);
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

void main() {
    vec4 source = IMG_THIS_PIXEL(inputImage);
    vec3 y = applyCube(source.rgb);
#ifdef EMPATHY_FLOAT
    fragColor = vec4(y, source.a);  // a floating-point chain keeps the precision
#else
    fragColor = vec4(floor(clamp(y, 0.0, 1.0) * 255.0 + 0.5) * (1.0 / 255.0), source.a);
#endif
}
