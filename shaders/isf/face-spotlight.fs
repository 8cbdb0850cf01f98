/*{
    "DESCRIPTION": "Lights the performer's face box and dims the rest by valence: warm light when pleasant, cold when not",
    "CREDIT": "Empathy Engine example",
    "ISFVSN": "2",
    "CATEGORIES": ["Stylize"],
    "INPUTS": [
        { "NAME": "inputImage", "TYPE": "image" },
        { "NAME": "dim", "TYPE": "float", "DEFAULT": 0.4, "MIN": 0.0, "MAX": 1.0 }
    ]
}*/
// faceBox is (x, y, width, height) of the face, normalised with y up;
// faceFound is 0 without a face, and then the picture passes through.
void main() {
    vec4 color = IMG_THIS_PIXEL(inputImage);
    vec2 centre = faceBox.xy + faceBox.zw * 0.5;
    vec2 d = (isf_FragNormCoord - centre) / max(faceBox.zw, vec2(0.01));
    float light = smoothstep(1.2, 0.4, length(d));
    vec3 tint = valence >= 0.0 ? vec3(1.0, 0.85, 0.7) : vec3(0.7, 0.85, 1.0);
    vec3 lit = color.rgb * mix(vec3(1.0 - dim), tint, light);
    gl_FragColor = vec4(mix(color.rgb, lit, faceFound), color.a);
}
