/*{
    "DESCRIPTION": "Camera shake by arousal and the beat: the picture jitters on each heartbeat, more when excited",
    "CREDIT": "Empathy Engine example",
    "ISFVSN": "2",
    "CATEGORIES": ["Distortion"],
    "INPUTS": [
        { "NAME": "inputImage", "TYPE": "image" },
        { "NAME": "amountPixels", "TYPE": "float", "DEFAULT": 6.0, "MIN": 0.0, "MAX": 40.0 }
    ]
}*/
void main() {
    float f = float(FRAMEINDEX);
    vec2 jitter = vec2(sin(f * 12.9898), cos(f * 78.233)) * amountPixels * arousal * (0.3 + 0.7 * beatPulse);
    gl_FragColor = IMG_PIXEL(inputImage, isf_FragNormCoord * RENDERSIZE + jitter);
}
