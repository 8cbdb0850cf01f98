/*{
    "DESCRIPTION": "A vignette that tightens on every heartbeat (beatPulse) and reddens with heart rate",
    "CREDIT": "Empathy Engine example",
    "ISFVSN": "2",
    "CATEGORIES": ["Stylize"],
    "INPUTS": [
        { "NAME": "inputImage", "TYPE": "image" },
        { "NAME": "darkness", "TYPE": "float", "DEFAULT": 0.5, "MIN": 0.0, "MAX": 1.0 }
    ]
}*/
// Plain ISF: no #version, gl_FragColor. Reads the biometric uniforms
// beatPulse, heartRate and heartRateKnown, which the host declares.
void main() {
    vec4 color = IMG_THIS_PIXEL(inputImage);
    vec2 centred = isf_FragNormCoord - 0.5;
    float radius = 0.75 - 0.12 * beatPulse;
    float vignette = smoothstep(radius, radius - 0.45, length(centred));
    float warmth = heartRateKnown * clamp((heartRate - 60.0) / 80.0, 0.0, 1.0);
    vec3 edge = mix(vec3(0.0), vec3(0.35, 0.0, 0.05), warmth);
    gl_FragColor = vec4(mix(mix(color.rgb, edge, darkness), color.rgb, vignette), color.a);
}
