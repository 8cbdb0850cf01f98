print("neon-noir-gen")
