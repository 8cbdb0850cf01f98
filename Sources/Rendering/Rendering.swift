import EmpathyCore
import Grading
