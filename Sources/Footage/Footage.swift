import EmpathyCore
import CVShim
